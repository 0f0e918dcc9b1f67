// Posts the server is still processing update by themselves: while any shown
// post is `processing`, ask for it again (post_get) every second at first,
// then less and less often, and stop when none is left. No DOM here.

import { isKind } from "./errors";
import type { Post } from "./types";

export type PollerOptions = {
  /** Ids of the shown posts that are `processing` now. */
  processing: () => number[];
  fetch: (id: number) => Promise<Post>;
  /** A post that is no longer processing (ready or rejected). */
  onSettled: (post: Post) => void;
  /** A post that went away meanwhile (deleted elsewhere). */
  onGone: (id: number) => void;
  /** A failure that stops polling (an expired session). */
  onFatal: (error: unknown) => void;
  /** Delay of the first rounds, ms. */
  interval?: number;
  /** Rounds at `interval` before backing off. */
  steadyRounds?: number;
  /** Longest delay between rounds, ms. */
  maxInterval?: number;
  /** A post processing for longer than this (ms) is no longer asked about (Refresh still shows it). */
  giveUpAfter?: number;
  /** Posts asked about per round, least recently asked first. */
  batch?: number;
  now?: () => number;
};

export class ProcessingPoller {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private stopped = false;
  private round = 0;
  private readonly firstSeen = new Map<number, number>();
  private readonly lastAsked = new Map<number, number>();
  private readonly o: Required<PollerOptions>;

  constructor(options: PollerOptions) {
    this.o = {
      interval: 1000,
      steadyRounds: 10,
      maxInterval: 10_000,
      giveUpAfter: 10 * 60_000,
      batch: 10,
      now: () => Date.now(),
      ...options,
    };
  }

  /** The delay before round `n` (0-based): `interval` for a while, then ×1.5 up to `maxInterval`. */
  delay(n: number): number {
    const { interval, steadyRounds, maxInterval } = this.o;
    if (n < steadyRounds) return interval;
    return Math.min(maxInterval, Math.round(interval * 1.5 ** (n - steadyRounds + 1)));
  }

  /** The ids still worth asking about, and whether one of them is new. */
  private watched(): { ids: number[]; fresh: boolean } {
    const now = this.o.now();
    const ids = this.o.processing();
    const current = new Set(ids);
    for (const id of [...this.firstSeen.keys()]) {
      if (!current.has(id)) {
        this.firstSeen.delete(id);
        this.lastAsked.delete(id);
      }
    }
    let fresh = false;
    for (const id of ids) {
      if (!this.firstSeen.has(id)) {
        this.firstSeen.set(id, now);
        fresh = true;
      }
    }
    // Something new started processing: back to the quick pace.
    if (fresh) this.round = 0;
    return { ids: ids.filter((id) => now - this.firstSeen.get(id)! < this.o.giveUpAfter), fresh };
  }

  /** After the shown posts changed: start polling when something is processing. */
  kick(): void {
    if (this.stopped || this.running) return;
    const { ids, fresh } = this.watched();
    if (ids.length === 0) {
      this.cancel();
      this.round = 0;
      return;
    }
    if (fresh) this.cancel(); // a new one is asked about soon, whatever the pace was
    if (this.timer === null) this.schedule();
  }

  /** Whether a round is waiting to run. */
  active(): boolean {
    return this.timer !== null || this.running;
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, this.delay(this.round));
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const ids = this.watched()
      .ids.sort((a, b) => (this.lastAsked.get(a) ?? 0) - (this.lastAsked.get(b) ?? 0))
      .slice(0, this.o.batch);
    if (ids.length === 0) return;
    this.running = true;
    const now = this.o.now();
    for (const id of ids) this.lastAsked.set(id, now);
    const results = await Promise.allSettled(ids.map((id) => this.o.fetch(id)));
    if (this.stopped) return;
    // What the callbacks change is looked at once, below (kick ignores calls while running).
    for (const [i, result] of results.entries()) {
      if (result.status === "fulfilled") {
        if (result.value.status !== "processing") this.o.onSettled(result.value);
      } else if (isKind(result.reason, "notFound")) {
        this.o.onGone(ids[i]!);
      } else if (isKind(result.reason, "unauthorized")) {
        this.running = false;
        this.stop();
        this.o.onFatal(result.reason);
        return;
      }
      // Anything else (network, 5xx): asked again next round, at the slower pace.
    }
    this.running = false;
    this.round += 1;
    this.kick();
  }
}
