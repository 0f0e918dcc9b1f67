// A deletion of many posts that can be undone for a few seconds: nothing is
// removed until the window has passed, then at most `concurrency` at a time.
// A post already gone counts as deleted; any other failure is reported and
// the post stays.

import { isKind } from "./errors";

export type DeletionResult = { deleted: number[]; failed: { id: number; error: unknown }[] };

export type DeletionOptions = {
  remove: (id: number) => Promise<unknown>;
  /** How long "Undo" is offered. */
  windowMs?: number;
  concurrency?: number;
  onDone: (result: DeletionResult) => void;
};

export const UNDO_WINDOW_MS = 6000;

export class PendingDeletion {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private state: "waiting" | "running" | "undone" | "done" = "waiting";

  constructor(
    readonly ids: readonly number[],
    private readonly opts: DeletionOptions,
  ) {
    this.timer = setTimeout(() => void this.run(), opts.windowMs ?? UNDO_WINDOW_MS);
  }

  /** Whether Undo still works (the window has not passed). */
  undoable(): boolean {
    return this.state === "waiting";
  }

  /** Cancels it; false when it is already running or done. */
  undo(): boolean {
    if (this.state !== "waiting") return false;
    clearTimeout(this.timer);
    this.state = "undone";
    return true;
  }

  /** Runs it now, without waiting out the window (e.g. when the app closes). */
  async run(): Promise<void> {
    if (this.state !== "waiting") return;
    clearTimeout(this.timer);
    this.state = "running";
    const result: DeletionResult = { deleted: [], failed: [] };
    const queue = [...this.ids];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        try {
          await this.opts.remove(id);
          result.deleted.push(id);
        } catch (error) {
          if (isKind(error, "notFound")) result.deleted.push(id);
          else result.failed.push({ id, error });
        }
      }
    };
    const workers = Math.max(1, Math.min(this.opts.concurrency ?? 3, queue.length));
    await Promise.all(Array.from({ length: workers }, worker));
    this.state = "done";
    this.opts.onDone(result);
  }
}
