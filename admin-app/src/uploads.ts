// Upload queue state: one item per file, its status and progress, at most
// `concurrency` files sending at once. No DOM here: the upload panel renders it.

import { isRetryable } from "./errors";
import type { CheckResult, FileLike } from "./policy";
import type { Post, UploadPhase, UploadProgress } from "./types";

/** Also the `data-state` of an upload row (the end-to-end test reads it). */
export type UploadState = "checking-locally" | "queued" | "sending" | "done" | "failed" | "cancelled";

export type UploadItem = {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  readonly state: UploadState;
  readonly phase: UploadPhase | null;
  readonly sent: number;
  readonly total: number;
  readonly error: string | null;
  /** For a failed one: whether sending it again may work (a failure on the way, not a final answer). */
  readonly retryable: boolean;
  readonly post: Post | null;
};

export type UploadAction =
  | { type: "accepted"; contentType: string }
  /** Refused before sending: by the local check (final), or the check itself failed (`retryable`). */
  | { type: "refused"; message: string; retryable?: boolean }
  | { type: "started" }
  | { type: "progress"; phase: UploadPhase; sent: number; total: number }
  | { type: "succeeded"; post: Post }
  | { type: "failed"; message: string; retryable: boolean }
  | { type: "cancelled" }
  /** A failed or cancelled file, sent again. */
  | { type: "retried" };

export function newItem(id: string, file: FileLike): UploadItem {
  return {
    id,
    name: file.name,
    size: file.size,
    contentType: file.type,
    state: "checking-locally",
    phase: null,
    sent: 0,
    total: file.size,
    error: null,
    retryable: false,
    post: null,
  };
}

const PHASE_ORDER: Record<UploadPhase, number> = { creating: 0, uploading: 1, checking: 2 };

/**
 * The next item, or the same object when the action does not apply in this
 * state (e.g. a progress event that arrives after the upload finished).
 */
export function reduceUpload(item: UploadItem, action: UploadAction): UploadItem {
  switch (action.type) {
    case "accepted":
      return item.state === "checking-locally" ? { ...item, state: "queued", contentType: action.contentType } : item;
    case "refused":
      return item.state === "checking-locally"
        ? { ...item, state: "failed", error: action.message, retryable: action.retryable ?? false }
        : item;
    case "started":
      return item.state === "queued" ? { ...item, state: "sending", phase: "creating", sent: 0 } : item;
    case "progress": {
      if (item.state !== "sending" || item.phase === null) return item;
      // Events may arrive out of order; never move backwards.
      if (PHASE_ORDER[action.phase] < PHASE_ORDER[item.phase]) return item;
      if (action.phase === item.phase && action.sent < item.sent) return item;
      return { ...item, phase: action.phase, sent: action.sent, total: action.total || item.total };
    }
    case "succeeded":
      return item.state === "sending" ? { ...item, state: "done", phase: null, sent: item.total, post: action.post } : item;
    case "failed":
      return item.state === "sending" || item.state === "queued"
        ? { ...item, state: "failed", phase: null, error: action.message, retryable: action.retryable }
        : item;
    case "cancelled":
      return isFinished(item) ? item : { ...item, state: "cancelled", phase: null, sent: 0, error: null };
    case "retried":
      return isRetryableItem(item) ? { ...item, state: "checking-locally", phase: null, sent: 0, error: null, retryable: false, post: null } : item;
  }
}

/** 0..1 for the progress bar, or null when there is nothing to measure yet. */
export function progressFraction(item: UploadItem): number | null {
  switch (item.state) {
    case "done":
      return 1;
    case "sending":
      if (item.phase === "uploading") return item.total > 0 ? Math.min(1, item.sent / item.total) : null;
      if (item.phase === "checking") return 1;
      return null;
    default:
      return null;
  }
}

/** The words beside the bar. */
export function progressText(item: UploadItem): string {
  switch (item.state) {
    case "checking-locally":
      return "Checking the file…";
    case "queued":
      return "Waiting…";
    case "sending":
      if (item.phase === "uploading") return `Uploading ${Math.floor((progressFraction(item) ?? 0) * 100)}%`;
      if (item.phase === "checking") return "Checking…";
      return "Preparing…";
    case "done":
      // The server answered before it had finished the variants: the grid polls.
      return item.post?.status === "processing" ? "Uploaded · processing…" : "Done";
    case "failed":
      return item.error ?? "Failed";
    case "cancelled":
      return "Cancelled";
  }
}

/**
 * Whether Retry is offered: a cancelled file, or one that failed on the way
 * (network, 5xx, rate limit, busy…). A local refusal or a final answer
 * (too large, unsupported type, over the quota, rejected) shows its reason only.
 */
export function isRetryableItem(item: UploadItem): boolean {
  return item.state === "cancelled" || (item.state === "failed" && item.retryable && item.post === null);
}

export function isFinished(item: UploadItem): boolean {
  return item.state === "done" || item.state === "failed" || item.state === "cancelled";
}

/** All files together: bytes sent of bytes to send, for the overall line. */
export function overallProgress(items: readonly UploadItem[]): { sent: number; total: number } | null {
  const counted = items.filter((i) => i.state !== "failed" && i.state !== "cancelled");
  if (!counted.some((i) => !isFinished(i))) return null;
  let sent = 0;
  let total = 0;
  for (const item of counted) {
    total += item.size;
    sent += item.state === "done" ? item.size : item.state === "sending" ? Math.round((progressFraction(item) ?? 0) * item.size) : 0;
  }
  return { sent, total };
}

let counter = 0;
/** A fresh id for `x-upload-id`, which progress events carry back. */
export function newUploadId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  counter += 1;
  return `up-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 10)}`;
}

export type QueueOptions<F extends FileLike> = {
  /** Files sending at once. */
  concurrency?: number;
  /** The local policy check; may reject (e.g. the policy could not be loaded). */
  check: (file: F) => Promise<CheckResult>;
  /** Sends one accepted file; resolves with the new post. */
  send: (item: UploadItem, file: F) => Promise<Post>;
  /** Words for a failure. */
  describe: (error: unknown, item: UploadItem) => string;
  /** Whether a failure is worth retrying (default: `isRetryable` of errors.ts). */
  retryable?: (error: unknown) => boolean;
  /** Stops a file that is sending, where it is (the Rust side's `upload_cancel`). */
  abort?: (item: UploadItem) => void;
  onChange: (item: UploadItem) => void;
  onSucceeded?: (item: UploadItem, post: Post) => void;
  onFailed?: (item: UploadItem, error: unknown) => void;
  /** A file cancelled while it was sending that the server took anyway: undo it. */
  onCancelledLanded?: (post: Post) => void;
  newId?: () => string;
};

export class UploadQueue<F extends FileLike = File> {
  private readonly items = new Map<string, UploadItem>();
  private readonly files = new Map<string, F>();
  /** Each send of a file is an attempt; only the latest one's answer counts. */
  private readonly attempts = new Map<string, number>();
  private readonly concurrency: number;

  constructor(private readonly opts: QueueOptions<F>) {
    this.concurrency = Math.max(1, opts.concurrency ?? 3);
  }

  /** Adds files; each is checked locally, then queued or refused. */
  add(files: Iterable<F>): UploadItem[] {
    const added: UploadItem[] = [];
    for (const file of files) {
      const item = newItem((this.opts.newId ?? newUploadId)(), file);
      this.items.set(item.id, item);
      this.files.set(item.id, file);
      added.push(item);
      this.opts.onChange(item);
      this.opts.check(file).then(
        (result) => {
          if (result.ok) this.apply(item.id, { type: "accepted", contentType: result.contentType });
          else this.apply(item.id, { type: "refused", message: result.message });
          this.pump();
        },
        (error: unknown) => {
          const current = this.items.get(item.id);
          // The check itself failed (e.g. the policy could not be loaded): that may pass.
          if (current) this.apply(item.id, { type: "refused", message: this.opts.describe(error, current), retryable: this.isRetryable(error) });
        },
      );
    }
    return added;
  }

  /**
   * Stops a file: one not sent yet is simply dropped; one sending is stopped
   * where it is (`abort`: the Rust side drops the PUT and deletes the post)
   * and, if the server took it all the same, removed again (`onCancelledLanded`).
   */
  cancel(id: string): void {
    const before = this.items.get(id);
    const after = this.apply(id, { type: "cancelled" });
    if (before?.state === "sending" && after?.state === "cancelled") this.opts.abort?.(before);
    this.pump();
  }

  /** Whether `retry` can send it again: worth it, and its bytes still at hand. */
  canRetry(id: string): boolean {
    const item = this.items.get(id);
    return this.files.has(id) && item !== undefined && isRetryableItem(item);
  }

  private isRetryable(error: unknown): boolean {
    return (this.opts.retryable ?? isRetryable)(error);
  }

  /** Sends a failed or cancelled file again (checked again first). */
  retry(id: string): void {
    const file = this.files.get(id);
    if (!file || !this.canRetry(id)) return;
    this.apply(id, { type: "retried" });
    this.opts.check(file).then(
      (result) => {
        if (result.ok) this.apply(id, { type: "accepted", contentType: result.contentType });
        else this.apply(id, { type: "refused", message: result.message });
        this.pump();
      },
      (error: unknown) => {
        const current = this.items.get(id);
        if (current) this.apply(id, { type: "refused", message: this.opts.describe(error, current), retryable: this.isRetryable(error) });
      },
    );
  }

  /** An `upload-progress` event; ignored unless that upload is sending. */
  progress(p: UploadProgress): void {
    this.apply(p.uploadId, { type: "progress", phase: p.phase, sent: p.sent, total: p.total });
  }

  get(id: string): UploadItem | undefined {
    return this.items.get(id);
  }

  list(): UploadItem[] {
    return [...this.items.values()];
  }

  sendingCount(): number {
    return this.list().filter((i) => i.state === "sending").length;
  }

  /** Forgets finished items; returns their ids. */
  clearFinished(): string[] {
    const gone: string[] = [];
    for (const item of this.items.values()) {
      if (isFinished(item)) gone.push(item.id);
    }
    for (const id of gone) {
      this.items.delete(id);
      this.files.delete(id);
    }
    return gone;
  }

  private apply(id: string, action: UploadAction): UploadItem | undefined {
    const before = this.items.get(id);
    if (!before) return undefined;
    const after = reduceUpload(before, action);
    if (after !== before) {
      this.items.set(id, after);
      if (after.state === "done") this.files.delete(id); // let the bytes go (a failed one may be retried)
      this.opts.onChange(after);
    }
    return after;
  }

  private pump(): void {
    for (const item of this.items.values()) {
      if (this.sendingCount() >= this.concurrency) return;
      if (item.state === "queued") this.start(item.id);
    }
  }

  private start(id: string): void {
    const file = this.files.get(id);
    const item = this.apply(id, { type: "started" });
    if (!file || !item || item.state !== "sending") return;
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    const stale = () => this.attempts.get(id) !== attempt || this.items.get(id)?.state !== "sending";
    this.opts.send(item, file).then(
      (post) => {
        if (stale()) return this.opts.onCancelledLanded?.(post);
        const done = this.apply(id, { type: "succeeded", post });
        if (done?.state === "done") this.opts.onSucceeded?.(done, post);
      },
      (error: unknown) => {
        const current = this.items.get(id);
        if (!current || stale()) return;
        const failed = this.apply(id, { type: "failed", message: this.opts.describe(error, current), retryable: this.isRetryable(error) });
        if (failed) this.opts.onFailed?.(failed, error);
      },
    ).finally(() => this.pump());
  }
}
