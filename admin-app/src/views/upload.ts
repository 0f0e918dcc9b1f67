// Uploading: the Upload button and its file picker, dropping files anywhere on
// the window, and the panel with one row per file (#upload-list [data-upload]).

import { h, icon } from "../dom";
import { formatBytes } from "../format";
import { acceptAttribute, checkFile } from "../policy";
import { isFinished, overallProgress, progressFraction, progressText, UploadQueue, type UploadItem } from "../uploads";
import type { UploadRequest } from "../ipc";
import type { Policy, Post, UploadProgress } from "../types";
import { openModalCount } from "./modal";

export type UploadDeps = {
  getPolicy: () => Promise<Policy>;
  send: (req: UploadRequest) => Promise<Post>;
  listenProgress: (handler: (p: UploadProgress) => void) => Promise<() => void>;
  /** Words for a failed upload of that file. */
  describe: (error: unknown, filename: string) => string;
  onUploaded: (post: Post) => void;
  onUnauthorized: (error: unknown) => void;
  /** Deletes a post that landed although its upload was cancelled. */
  discard?: (id: number) => Promise<unknown>;
  /** Stops an upload that is sending, on the Rust side (`upload_cancel`). */
  cancelSend?: (uploadId: string) => Promise<unknown>;
  /** The server checked an upload and rejected it: its post (rejected, with the reason) is on the server now. */
  onRejected?: (error: unknown) => void;
  /** How long a finished panel stays before it folds away (tests shorten it). */
  collapseAfterMs?: number;
  concurrency?: number;
};

export type UploadView = {
  /** The Upload button and the (visually hidden) file input, for the toolbar. */
  controls: Node[];
  panel: HTMLElement;
  overlay: HTMLElement;
  queue: UploadQueue<File>;
  addFiles(files: Iterable<File>): void;
  destroy(): void;
};

export function summaryText(items: UploadItem[]): string {
  const done = items.filter((i) => i.state === "done").length;
  const failed = items.filter((i) => i.state === "failed").length;
  const active = items.length - done - failed;
  const parts: string[] = [];
  if (active) parts.push(`${active} in progress`);
  if (done) parts.push(`${done} uploaded`);
  if (failed) parts.push(`${failed} failed`);
  return parts.join(" · ");
}

export function uploadView(deps: UploadDeps): UploadView {
  const rows = new Map<
    string,
    { row: HTMLLIElement; bar: HTMLProgressElement; text: HTMLElement; cancel: HTMLButtonElement; retry: HTMLButtonElement }
  >();
  /** Titles chosen for files, by upload id (the field applies to the files added after it). */
  const titles = new Map<string, string>();
  let collapseTimer: ReturnType<typeof setTimeout> | undefined;

  const input = h("input", {
    type: "file",
    id: "file-input",
    class: "visually-hidden",
    multiple: true,
    accept: "image/*",
    tabindex: -1,
    "aria-hidden": "true",
  });
  const button = h(
    "button",
    { type: "button", class: "button primary", id: "upload-button", "aria-controls": "upload-panel", "aria-keyshortcuts": "Control+U Meta+U", title: "Upload (Ctrl+U)" },
    icon("upload"),
    "Upload",
  );
  const list = h("ul", { id: "upload-list", class: "upload-list", role: "list" });
  const titleInput = h("input", {
    type: "text",
    id: "upload-title",
    class: "upload-title",
    maxlength: 200,
    placeholder: "Title for the next files (optional)",
    "aria-label": "Title given to the files you add next (optional)",
  });
  const overall = h("p", { id: "upload-overall", class: "muted", hidden: true });
  const summary = h("p", { class: "upload-summary muted", role: "status" });
  const clear = h("button", { type: "button", class: "link-button", id: "clear-uploads" }, "Clear finished");
  const panel = h(
    "section",
    { id: "upload-panel", class: "upload-panel", "aria-labelledby": "uploads-heading", hidden: true },
    h("div", { class: "upload-head" }, h("h2", { id: "uploads-heading" }, "Uploads"), summary, clear),
    titleInput,
    overall,
    list,
  );
  const overlay = h(
    "div",
    { id: "drop-overlay", class: "drop-overlay", hidden: true, "aria-hidden": "true" },
    h("div", { class: "drop-box" }, icon("upload", "icon large"), h("p", null, "Drop images to upload")),
  );

  let policy: Policy | null = null;
  const loadPolicy = () =>
    deps.getPolicy().then((p) => {
      policy = p;
      input.accept = acceptAttribute(p);
      return p;
    });
  loadPolicy().catch(() => {}); // a failure shows on the first file, which tries again

  const render = (item: UploadItem) => {
    let r = rows.get(item.id);
    if (!r) {
      const bar = h("progress", { max: 1, class: "upload-bar", "aria-label": `Progress of ${item.name}` });
      const text = h("p", { class: "upload-text" });
      const id = item.id;
      const cancel = h("button", { type: "button", class: "link-button", "data-action": "cancel", "aria-label": `Cancel ${item.name}` }, "Cancel");
      cancel.addEventListener("click", () => queue.cancel(id));
      const retry = h("button", { type: "button", class: "link-button", "data-action": "retry", "aria-label": `Retry ${item.name}` }, "Retry");
      retry.addEventListener("click", () => queue.retry(id));
      const row = h(
        "li",
        { class: "upload-row", "data-upload": item.id },
        h("p", { class: "upload-name" }, h("span", { class: "name", title: item.name }, item.name), h("span", { class: "muted size" }, formatBytes(item.size))),
        bar,
        text,
        h("span", { class: "upload-actions" }, cancel, retry),
      );
      r = { row, bar, text, cancel, retry };
      rows.set(item.id, r);
      list.prepend(row); // newest on top, as in the grid
    }
    r.row.dataset.state = item.state;
    const fraction = progressFraction(item);
    if (fraction === null) r.bar.removeAttribute("value");
    else r.bar.value = fraction;
    r.bar.hidden = item.state === "failed" || item.state === "cancelled";
    r.text.textContent = progressText(item);
    r.cancel.hidden = isFinished(item);
    // Only where sending again may work; a final answer shows its reason alone.
    r.retry.hidden = !queue.canRetry(item.id);
    r.row.dataset.retryable = String(!r.retry.hidden);
    const all = queue.list();
    summary.textContent = summaryText(all);
    const total = overallProgress(all);
    overall.hidden = total === null || all.length < 2;
    if (total) overall.textContent = `${formatBytes(total.sent)} of ${formatBytes(total.total)} sent · ${Math.floor((100 * total.sent) / Math.max(1, total.total))} %`;
    clear.hidden = !all.some(isFinished);
    panel.hidden = all.length === 0;
    // Everything done and nothing failed: the panel folds away by itself.
    clearTimeout(collapseTimer);
    if (all.length && all.every((i) => i.state === "done" || i.state === "cancelled")) {
      collapseTimer = setTimeout(collapse, deps.collapseAfterMs ?? 4000);
    }
  };
  const collapse = () => {
    for (const id of queue.clearFinished()) {
      rows.get(id)?.row.remove();
      rows.delete(id);
      titles.delete(id);
    }
    const left = queue.list();
    summary.textContent = summaryText(left);
    clear.hidden = true;
    panel.hidden = left.length === 0;
    if (panel.hidden && panel.contains(document.activeElement)) button.focus();
  };

  const queue = new UploadQueue<File>({
    concurrency: deps.concurrency ?? 3,
    check: async (file) => checkFile(file, policy ?? (await loadPolicy())),
    send: async (item, file) => {
      const bytes = await file.arrayBuffer();
      return deps.send({ uploadId: item.id, filename: item.name, contentType: item.contentType, title: titles.get(item.id) ?? "", bytes });
    },
    describe: (error, item) => deps.describe(error, item.name),
    abort: (item) => void deps.cancelSend?.(item.id).catch(() => {}),
    onChange: render,
    onSucceeded: (_item, post) => deps.onUploaded(post),
    // Cancelled too late: the server had it already; take it back out.
    onCancelledLanded: (post) => void deps.discard?.(post.id).catch(() => {}),
    onFailed: (_item, error) => {
      const kind = typeof error === "object" && error !== null ? (error as { kind?: unknown }).kind : undefined;
      if (kind === "unauthorized") deps.onUnauthorized(error);
      if (kind === "rejected") deps.onRejected?.(error);
    },
  });

  const addFiles = (files: Iterable<File>) => {
    const title = titleInput.value.trim();
    const added = queue.add(files);
    for (const item of added) if (title) titles.set(item.id, title);
    if (added.length) panel.hidden = false;
  };

  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    if (input.files?.length) addFiles([...input.files]);
    input.value = ""; // the same file again is a new upload
  });
  clear.addEventListener("click", () => {
    collapse();
    if (panel.hidden) button.focus();
  });

  // Drag and drop anywhere on the window. (The Tauri window must leave drops
  // to the page: dragDropEnabled false.)
  let depth = 0;
  const hasFiles = (e: DragEvent) => Boolean(e.dataTransfer && [...e.dataTransfer.types].includes("Files"));
  const onDragEnter = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth += 1;
    if (openModalCount() === 0) overlay.hidden = false;
  };
  const onDragOver = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault(); // or the webview opens the file itself
    if (e.dataTransfer) e.dataTransfer.dropEffect = openModalCount() === 0 ? "copy" : "none";
  };
  const onDragLeave = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  };
  const onDrop = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    overlay.hidden = true;
    if (openModalCount() > 0) return;
    const files = e.dataTransfer ? [...e.dataTransfer.files] : [];
    if (files.length) addFiles(files);
  };
  window.addEventListener("dragenter", onDragEnter);
  window.addEventListener("dragover", onDragOver);
  window.addEventListener("dragleave", onDragLeave);
  window.addEventListener("drop", onDrop);
  // Ctrl/Cmd+U picks files to upload (not while a dialog is open).
  const onShortcut = (e: KeyboardEvent) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.key.toLowerCase() !== "u" || openModalCount() > 0) return;
    e.preventDefault();
    input.click();
  };
  window.addEventListener("keydown", onShortcut);

  let unlisten: (() => void) | null = null;
  let destroyed = false;
  deps.listenProgress((p) => queue.progress(p)).then(
    (stop) => (destroyed ? stop() : (unlisten = stop)),
    () => {}, // no progress events: the bars stay indeterminate, uploads still finish
  );

  return {
    controls: [button, input],
    panel,
    overlay,
    queue,
    addFiles,
    destroy() {
      destroyed = true;
      clearTimeout(collapseTimer);
      unlisten?.();
      window.removeEventListener("dragenter", onDragEnter);
      window.removeEventListener("dragover", onDragOver);
      window.removeEventListener("dragleave", onDragLeave);
      window.removeEventListener("drop", onDrop);
      window.removeEventListener("keydown", onShortcut);
    },
  };
}
