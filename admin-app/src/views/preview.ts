// The preview dialog: the `medium` variant (or the original when there is
// none; fresh presigned URL from post_get), "Open original", the metadata with
// the dimensions, Download and Delete (after a confirmation).

import { h, icon } from "../dom";
import { isKind } from "../errors";
import { formatBytes, formatDateTime, typeLabel } from "../format";
import { averageColor, dimensionsText, placeholderUrl, previewSource } from "../images";
import type { Post } from "../types";
import { confirmDialog } from "./confirm";
import { openModal, type ModalHandle } from "./modal";
import { ownerText, placeholder, statusBadge } from "./posts";

export type PreviewDeps = {
  myId: string;
  getPost: (id: number) => Promise<Post>;
  download: (id: number) => Promise<string>;
  /** Opens the full-size original in the system browser. */
  openOriginal: (id: number) => Promise<unknown>;
  remove: (id: number) => Promise<unknown>;
  /** Words for an error of that action. */
  describe: (error: unknown, action: "preview" | "download" | "delete" | "openOriginal") => string;
  /** Session expired: the app goes back to sign-in. */
  onUnauthorized: (error: unknown) => void;
  onUpdated: (post: Post) => void;
  /** "deleted" by this dialog, or found "gone" already. */
  onDeleted: (post: Post, how: "deleted" | "gone") => void;
  onClosed?: () => void;
};

export function deleteQuestion(post: Post): string {
  return `Delete ${post.filename}? This removes the image for good.`;
}

function metaRows(post: Post, myId: string): HTMLElement {
  const rows: [string, Node | string][] = [
    ["Title", post.title ?? "—"],
    ["Filename", post.filename],
    ["Type", `${typeLabel(post.contentType)} (${post.contentType})`],
    ["Size", `${formatBytes(post.size)} (${post.size.toLocaleString("en-US")} bytes)`],
    ["Dimensions", h("span", { id: "preview-dimensions" }, dimensionsText(post) ?? "—")],
    ["Owner", ownerText(post.ownerId, myId)],
    ["Status", statusBadge(post)],
    ["Created", formatDateTime(post.createdAt)],
    ["Updated", formatDateTime(post.updatedAt)],
    ["Object key", h("code", null, post.objectKey)],
  ];
  if (post.status === "rejected") {
    const reason = post.rejectionReason ?? "No reason given";
    const why = post.rejectionCode ? h("span", null, reason, " ", h("code", { class: "muted" }, post.rejectionCode)) : reason;
    rows.splice(7, 0, ["Why rejected", why]);
  }
  return h("dl", { class: "meta" }, ...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

export function openPreview(initial: Post, deps: PreviewDeps): ModalHandle {
  let post = initial;
  const title = h("h2", { id: "preview-title", class: "modal-title" }, post.title || post.filename);
  const image = h("img", { id: "preview-image", alt: post.title || post.filename, decoding: "async" });
  const stage = h("div", { class: "preview-stage", "aria-busy": "true" });
  const meta = h("div", { class: "preview-meta" }, metaRows(post, deps.myId));
  const status = h("p", { class: "preview-status", role: "status" });
  const close = h("button", { type: "button", class: "icon-button", id: "preview-close", "aria-label": "Close preview", title: "Close (Esc)" }, icon("close"));
  const download = h("button", { type: "button", class: "button", id: "download-post" }, icon("download"), "Download");
  const original = h(
    "button",
    { type: "button", class: "button", id: "open-original", title: "Open the full-size original in your browser" },
    icon("image"),
    "Open original",
  );
  const del = h("button", { type: "button", class: "button danger-outline", id: "delete-post" }, icon("trash"), "Delete");

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
    }
    original.hidden = !(p.status === "ready" && p.url);
  };
  image.addEventListener("load", () => {
    stage.style.backgroundImage = "";
    stage.style.backgroundColor = "";
  });
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
      h("div", { class: "modal-head" }, title, close),
      h("div", { class: "preview-body" }, stage, h("div", { class: "preview-side" }, meta, status, h("div", { class: "modal-actions start" }, original, download, del))),
    ],
    initialFocus: () => close,
    onClose: deps.onClosed,
  });
  close.addEventListener("click", () => modal.close());

  deps.getPost(post.id).then(
    (fresh) => {
      if (!modal.isOpen()) return;
      post = fresh;
      title.textContent = fresh.title || fresh.filename;
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
    } catch (error) {
      if (isKind(error, "unauthorized")) return deps.onUnauthorized(error);
      setStatus(deps.describe(error, "download"), "error");
    } finally {
      download.disabled = post.status !== "ready";
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
