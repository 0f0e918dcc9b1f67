// The preview dialog: the `medium` variant (or the original when there is
// none; fresh presigned URL from post_get), fitted or at 1:1 (the zoom button
// or `z`), "Open original", the metadata with the dimensions, Download (then
// "Show in folder") and Delete (after a confirmation).

import { h, icon } from "../dom";
import { isKind } from "../errors";
import { formatBytes, formatDateTime, typeLabel } from "../format";
import { averageColor, dimensionsText, placeholderUrl, previewSource } from "../images";
import type { Post } from "../types";
import { actualSize, anchorAt, panStep, scrollToAnchor, toggled, zoomLabel, type Zoom } from "../zoom";
import { confirmDialog } from "./confirm";
import { openModal, type ModalHandle } from "./modal";
import { ownerText, placeholder, statusBadge } from "./posts";

export type PreviewDeps = {
  myId: string;
  getPost: (id: number) => Promise<Post>;
  /** Saves the original into the Downloads folder; answers the file's path. */
  download: (id: number) => Promise<string>;
  /** Shows a downloaded file in the system file manager. Without it, no "Show in folder". */
  reveal?: (path: string) => Promise<unknown>;
  /** Opens the full-size original in the system browser. */
  openOriginal: (id: number) => Promise<unknown>;
  remove: (id: number) => Promise<unknown>;
  /** A new title (`null` clears it); answers the post. Without it, titles cannot be edited here. */
  retitle?: (id: number, title: string | null) => Promise<Post>;
  /** Words for an error of that action. */
  describe: (error: unknown, action: "preview" | "download" | "showInFolder" | "delete" | "openOriginal" | "retitle") => string;
  /** Session expired: the app goes back to sign-in. */
  onUnauthorized: (error: unknown) => void;
  onUpdated: (post: Post) => void;
  /** "deleted" by this dialog, or found "gone" already. */
  onDeleted: (post: Post, how: "deleted" | "gone") => void;
  onClosed?: () => void;
  /** The post before (-1) or after (+1) this one in the grid, for ←/→. */
  neighbour?: (post: Post, direction: -1 | 1) => Post | undefined;
  /** Puts text on the clipboard (Copy link, Copy key). */
  copy?: (text: string) => Promise<void>;
};

export function deleteQuestion(post: Post): string {
  return `Delete ${post.filename}? This removes the image for good.`;
}

/** Longest title the API takes. */
export const MAX_TITLE_CHARS = 200;

function metaRows(post: Post, myId: string): HTMLElement {
  const rows: [string, Node | string][] = [
    ...(post.title ? [["Filename", post.filename] as [string, string]] : []),
    ["Type", `${typeLabel(post.contentType)} (${post.contentType})`],
    ["Size", `${formatBytes(post.size)} (${post.size.toLocaleString("en-US")} bytes)`],
    ["Dimensions", h("span", { id: "preview-dimensions" }, dimensionsText(post) ?? "—")],
    ["Owner", ownerText(post, myId)],
    ["Status", statusBadge(post)],
    ["Created", formatDateTime(post.createdAt)],
    ["Updated", formatDateTime(post.updatedAt)],
    ["Object key", h("code", null, post.objectKey)],
  ];
  if (post.status === "rejected") {
    const reason = post.rejectionReason ?? "No reason given";
    const why = post.rejectionCode ? h("span", null, reason, " ", h("code", { class: "muted" }, post.rejectionCode)) : reason;
    rows.splice(rows.length - 3, 0, ["Why rejected", why]);
  }
  return h("dl", { class: "meta" }, ...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

export function openPreview(initial: Post, deps: PreviewDeps): ModalHandle {
  let post = initial;
  const title = h("h2", { id: "preview-title", class: "modal-title" }, post.title || post.filename);
  const image = h("img", { id: "preview-image", alt: post.title || post.filename, decoding: "async" });
  const stage = h("div", { class: "preview-stage", id: "preview-stage", "aria-busy": "true", "data-zoom": "fit" });
  const zoomButton = h(
    "button",
    {
      type: "button",
      class: "button zoom-toggle",
      id: "preview-zoom",
      "aria-pressed": "false",
      "aria-controls": "preview-stage",
      "aria-keyshortcuts": "Z",
      "aria-label": "Actual size (1:1)",
      title: "Actual size: one image pixel to one screen pixel (Z)",
    },
    "1:1",
  );
  const meta = h("div", { class: "preview-meta" }, metaRows(post, deps.myId));
  const status = h("p", { class: "preview-status", role: "status" });
  const close = h("button", { type: "button", class: "icon-button", id: "preview-close", "aria-label": "Close preview", title: "Close (Esc)" }, icon("close"));
  const edit = h(
    "button",
    { type: "button", class: "icon-button", id: "edit-title", "aria-label": "Edit title", title: "Edit title", hidden: !deps.retitle },
    icon("pencil"),
  );
  const titleInput = h("input", {
    type: "text",
    id: "title-input",
    class: "title-input",
    maxlength: MAX_TITLE_CHARS,
    "aria-label": "Title (empty for none)",
    placeholder: "No title: the filename is shown",
    title: "Enter saves, Esc cancels",
    hidden: true,
  });
  const download = h("button", { type: "button", class: "button", id: "download-post" }, icon("download"), "Download");
  // Offered once a download has finished: the file it saved, in the file manager.
  let savedPath: string | null = null;
  const showInFolder = h(
    "button",
    { type: "button", class: "button", id: "show-in-folder", title: "Show the downloaded file in your file manager", hidden: true },
    icon("folder"),
    "Show in folder",
  );
  const original = h(
    "button",
    { type: "button", class: "button", id: "open-original", title: "Open the full-size original in your browser" },
    icon("image"),
    "Open original",
  );
  const del = h("button", { type: "button", class: "button danger-outline", id: "delete-post" }, icon("trash"), "Delete");
  const copyLink = h(
    "button",
    { type: "button", class: "button", id: "copy-url", title: "A presigned link to the original; it expires", hidden: !deps.copy },
    "Copy link",
  );
  const copyKey = h("button", { type: "button", class: "button", id: "copy-key", hidden: !deps.copy }, "Copy key");

  const showImage = (p: Post) => {
    const src = previewSource(p);
    if (src) {
      // Keep an image already on screen (its URL still worked); swap in the
      // fresh URL only when nothing is shown yet, the old URL failed, or it
      // was another size (the original before the medium variant was known).
      const shown = image.complete && image.naturalWidth > 0 && image.getAttribute("src");
      if ((!shown || image.dataset.kind !== src.kind) && image.getAttribute("src") !== src.url) {
        image.src = src.url;
        image.dataset.kind = src.kind;
      }
      image.alt = p.title || p.filename;
      image.hidden = false;
      stage.replaceChildren(image);
      const color = averageColor(p.blurhash);
      const blur = placeholderUrl(p);
      if (!image.complete || image.naturalWidth === 0) {
        if (color) stage.style.backgroundColor = color;
        if (blur) stage.style.backgroundImage = `url("${blur}")`;
      }
    } else {
      image.hidden = true;
      stage.replaceChildren(image, placeholder(p.status));
      if (zoom === "actual") setZoom("fit");
    }
    zoomButton.hidden = image.hidden;
    original.hidden = !(p.status === "ready" && p.url);
    copyLink.hidden = !deps.copy || !p.url;
  };
  image.addEventListener("load", () => {
    stage.style.backgroundImage = "";
    stage.style.backgroundColor = "";
    if (zoom === "actual") applyZoom(); // a fresh URL, or another size: measured again
  });

  // Fit (the default) or 1:1. At 1:1 the stage scrolls: drag, the wheel or
  // the arrow keys pan it (the arrows then pan instead of changing posts).
  let zoom: Zoom = "fit";
  const natural = () => ({ width: image.naturalWidth, height: image.naturalHeight });
  const applyZoom = (anchor?: { x: number; y: number }) => {
    stage.dataset.zoom = zoom;
    zoomButton.setAttribute("aria-pressed", String(zoom === "actual"));
    const size = zoom === "actual" ? actualSize(natural(), window.devicePixelRatio) : null;
    stage.setAttribute("aria-label", zoomLabel(zoom, size ? natural() : undefined));
    if (zoom === "actual") {
      stage.tabIndex = 0; // focusable, so that the keyboard can scroll it too
      if (!size) return; // not loaded yet: measured on load
      image.style.width = `${size.width}px`;
      image.style.height = `${size.height}px`;
      const to = scrollToAnchor(size, { width: stage.clientWidth, height: stage.clientHeight }, anchor);
      stage.scrollLeft = to.left;
      stage.scrollTop = to.top;
    } else {
      stage.removeAttribute("tabindex");
      image.style.width = "";
      image.style.height = "";
      stage.scrollLeft = 0;
      stage.scrollTop = 0;
    }
  };
  const setZoom = (next: Zoom, anchor?: { x: number; y: number }) => {
    if (image.hidden && next === "actual") return;
    zoom = next;
    applyZoom(anchor);
  };
  zoomButton.addEventListener("click", () => setZoom(toggled(zoom)));
  // A double click zooms in at that point, and out again.
  image.addEventListener("dblclick", (event) => {
    const box = image.getBoundingClientRect();
    setZoom(toggled(zoom), anchorAt(event.clientX - box.left, event.clientY - box.top, box));
  });
  let drag: { x: number; y: number; left: number; top: number; pointer: number } | null = null;
  stage.addEventListener("pointerdown", (event) => {
    if (zoom !== "actual" || event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, left: stage.scrollLeft, top: stage.scrollTop, pointer: event.pointerId };
    stage.setPointerCapture?.(event.pointerId);
    stage.classList.add("panning");
    event.preventDefault(); // no image drag-and-drop
  });
  stage.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    stage.scrollLeft = drag.left - (event.clientX - drag.x);
    stage.scrollTop = drag.top - (event.clientY - drag.y);
  });
  const endDrag = () => {
    drag = null;
    stage.classList.remove("panning");
  };
  stage.addEventListener("pointerup", endDrag);
  stage.addEventListener("pointercancel", endDrag);
  // The card's URL at once (often still valid), then the fresh one.
  showImage(post);
  download.disabled = post.status !== "ready";

  const setStatus = (text: string, kind: "info" | "error" = "info", path?: string) => {
    status.dataset.kind = kind;
    status.replaceChildren(text, path ? h("code", null, path) : "");
  };

  const modal = openModal({
    id: "preview",
    className: "modal-preview",
    labelledBy: "preview-title",
    content: [
      h("div", { class: "modal-head" }, title, titleInput, edit, h("span", { class: "head-spacer" }), zoomButton, close),
      h("div", { class: "preview-body" }, stage, h("div", { class: "preview-side" }, meta, status, h("div", { class: "modal-actions start" }, original, download, showInFolder, copyLink, copyKey, del))),
    ],
    initialFocus: () => close,
    // Esc while the title is being edited leaves the field, not the dialog.
    canDismiss: () => {
      if (titleInput.hidden) return true;
      stopEditing();
      edit.focus();
      return false;
    },
    onClose: deps.onClosed,
  });
  close.addEventListener("click", () => modal.close());

  deps.getPost(post.id).then(
    (fresh) => {
      if (!modal.isOpen()) return;
      post = fresh;
      if (titleInput.hidden) showTitle(fresh);
      showImage(fresh);
      meta.replaceChildren(metaRows(fresh, deps.myId));
      download.disabled = fresh.status !== "ready";
      stage.setAttribute("aria-busy", "false");
      deps.onUpdated(fresh);
    },
    (error: unknown) => {
      stage.setAttribute("aria-busy", "false");
      if (isKind(error, "unauthorized")) return deps.onUnauthorized(error);
      if (!modal.isOpen()) return;
      setStatus(deps.describe(error, "preview"), "error");
      if (isKind(error, "notFound")) {
        download.disabled = true;
        del.disabled = true;
        deps.onDeleted(post, "gone");
      }
    },
  );

  const showTitle = (p: Post) => {
    title.textContent = p.title || p.filename;
    image.alt = p.title || p.filename;
  };
  const stopEditing = () => {
    titleInput.hidden = true;
    title.hidden = false;
    edit.hidden = !deps.retitle;
  };
  edit.addEventListener("click", () => {
    titleInput.value = post.title ?? "";
    title.hidden = true;
    edit.hidden = true;
    titleInput.hidden = false;
    titleInput.focus();
    titleInput.select();
  });
  let saving = false;
  const saveTitle = async () => {
    if (saving || !deps.retitle) return;
    const wanted = titleInput.value.trim() || null;
    if (wanted === (post.title ?? null)) return stopEditing();
    saving = true;
    titleInput.disabled = true;
    try {
      const fresh = await deps.retitle(post.id, wanted);
      post = fresh;
      showTitle(fresh);
      meta.replaceChildren(metaRows(fresh, deps.myId));
      stopEditing();
      setStatus(wanted ? "Title saved." : "Title removed.");
      deps.onUpdated(fresh);
      edit.focus();
    } catch (error) {
      if (isKind(error, "unauthorized")) return deps.onUnauthorized(error);
      setStatus(deps.describe(error, "retitle"), "error");
      titleInput.focus();
    } finally {
      saving = false;
      titleInput.disabled = false;
    }
  };
  titleInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      void saveTitle();
    }
  });

  const copied = async (text: string, what: string) => {
    try {
      await deps.copy?.(text);
      setStatus(`${what} copied.`);
    } catch (error) {
      setStatus(`Couldn't copy the ${what.toLowerCase()}${error instanceof Error && error.message ? ` (${error.message})` : ""}.`, "error");
    }
  };
  copyLink.addEventListener("click", () => {
    if (post.url) void copied(post.url, "Link");
  });
  copyKey.addEventListener("click", () => void copied(post.objectKey, "Key"));
  // `z`: fit or 1:1. At 1:1 the arrows pan the image.
  modal.dialog.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || !titleInput.hidden) return;
    if ((event.target as Element).closest("input, textarea, select")) return;
    if (event.key === "z" || event.key === "Z") {
      if (image.hidden) return;
      event.preventDefault();
      setZoom(toggled(zoom));
      return;
    }
    if (zoom !== "actual") return;
    const step = panStep(event.key, { width: stage.clientWidth, height: stage.clientHeight }, event.shiftKey);
    if (!step) return;
    event.preventDefault();
    event.stopImmediatePropagation(); // not to the next post
    stage.scrollLeft += step.dx;
    stage.scrollTop += step.dy;
  });
  // ←/→: the previous or next post of the grid, in this same dialog's place (when fitted).
  modal.dialog.addEventListener("keydown", (event) => {
    if ((event.key !== "ArrowLeft" && event.key !== "ArrowRight") || !deps.neighbour || !titleInput.hidden) return;
    if (zoom !== "fit" || event.defaultPrevented) return;
    if ((event.target as Element).closest("input, textarea, select")) return;
    const next = deps.neighbour(post, event.key === "ArrowLeft" ? -1 : 1);
    if (!next) return;
    event.preventDefault();
    modal.close();
    openPreview(next, deps);
  });

  original.addEventListener("click", async () => {
    original.disabled = true;
    try {
      await deps.openOriginal(post.id);
    } catch (error) {
      if (isKind(error, "unauthorized")) return deps.onUnauthorized(error);
      setStatus(deps.describe(error, "openOriginal"), "error");
    } finally {
      original.disabled = false;
    }
  });

  download.addEventListener("click", async () => {
    download.disabled = true;
    setStatus("Downloading…");
    try {
      const path = await deps.download(post.id);
      setStatus("Saved to ", "info", path);
      savedPath = path;
      showInFolder.hidden = !deps.reveal;
    } catch (error) {
      if (isKind(error, "unauthorized")) return deps.onUnauthorized(error);
      setStatus(deps.describe(error, "download"), "error");
    } finally {
      download.disabled = post.status !== "ready";
    }
  });

  showInFolder.addEventListener("click", async () => {
    if (!savedPath || !deps.reveal) return;
    showInFolder.disabled = true;
    try {
      await deps.reveal(savedPath);
    } catch (error) {
      setStatus(deps.describe(error, "showInFolder"), "error");
    } finally {
      showInFolder.disabled = false;
    }
  });

  del.addEventListener("click", async () => {
    const target = post;
    let unauthorized: unknown = null;
    const deleted = await confirmDialog({
      title: "Delete image",
      message: deleteQuestion(target),
      confirmLabel: "Delete",
      busyLabel: "Deleting…",
      confirmId: "confirm-delete",
      cancelId: "cancel-delete",
      danger: true,
      describe: (e) => deps.describe(e, "delete"),
      action: async () => {
        try {
          await deps.remove(target.id);
        } catch (e) {
          if (isKind(e, "notFound")) return; // already gone: that is what was asked
          if (isKind(e, "unauthorized")) {
            unauthorized = e;
            return;
          }
          throw e;
        }
      },
    });
    if (unauthorized) return deps.onUnauthorized(unauthorized);
    if (deleted) {
      modal.close();
      deps.onDeleted(target, "deleted");
    }
  });

  return modal;
}
