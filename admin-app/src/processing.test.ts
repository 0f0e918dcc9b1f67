import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ProcessingPoller } from "./processing";
import { makePost } from "./test-support";
import type { Post } from "./types";

let shown: Post[];
let asked: number[];
let answers: Map<number, () => Promise<Post>>;
let settled: Post[];
let gone: number[];
let fatal: unknown[];

function poller(over: Partial<ConstructorParameters<typeof ProcessingPoller>[0]> = {}) {
  return new ProcessingPoller({
    processing: () => shown.filter((p) => p.status === "processing").map((p) => p.id),
    fetch: (id) => {
      asked.push(id);
      const answer = answers.get(id);
      return answer ? answer() : Promise.resolve(shown.find((p) => p.id === id)!);
    },
    onSettled: (post) => {
      settled.push(post);
      shown = shown.map((p) => (p.id === post.id ? post : p));
    },
    onGone: (id) => {
      gone.push(id);
      shown = shown.filter((p) => p.id !== id);
    },
    onFatal: (e) => fatal.push(e),
    ...over,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  shown = [];
  asked = [];
  answers = new Map();
  settled = [];
  gone = [];
  fatal = [];
});
afterEach(() => vi.useRealTimers());

describe("polling processing posts", () => {
  it("does nothing while nothing is processing", async () => {
    shown = [makePost(1), makePost(2, { status: "rejected" })];
    const p = poller();
    p.kick();
    expect(p.active()).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toEqual([]);
  });

  it("asks every second until the post is ready, then stops", async () => {
    shown = [makePost(1, { status: "processing", url: null }), makePost(2)];
    const p = poller();
    p.kick();
    expect(p.active()).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toEqual([1, 1]);
    answers.set(1, async () => makePost(1, { status: "ready", width: 640, height: 400 }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toEqual([1, 1, 1]);
    expect(settled.map((s) => [s.id, s.status])).toEqual([[1, "ready"]]);
    expect(p.active()).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toHaveLength(3);
  });

  it("backs off after the first rounds, up to a cap, and gives up after a while", async () => {
    shown = [makePost(1, { status: "processing", url: null })];
    const p = poller({ steadyRounds: 3, maxInterval: 4000, giveUpAfter: 60_000, now: () => Date.now() });
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => p.delay(n))).toEqual([1000, 1000, 1000, 1500, 2250, 3375, 4000, 4000]);
    p.kick();
    await vi.advanceTimersByTimeAsync(3000);
    expect(asked).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1499);
    expect(asked).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(120_000);
    const total = asked.length;
    expect(total).toBeLessThan(20);
    expect(p.active()).toBe(false); // past giveUpAfter: no more questions
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toHaveLength(total);
  });

  it("a new processing post brings back the quick pace", async () => {
    shown = [makePost(1, { status: "processing", url: null })];
    const p = poller({ steadyRounds: 1, maxInterval: 10_000 });
    p.kick();
    await vi.advanceTimersByTimeAsync(1000 + 1500 + 2250);
    expect(asked).toHaveLength(3);
    shown = [makePost(2, { status: "processing", url: null }), ...shown];
    p.kick();
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked.slice(3).sort()).toEqual([1, 2]);
  });

  it("asks about a batch at a time, least recently asked first", async () => {
    shown = [1, 2, 3, 4, 5].map((id) => makePost(id, { status: "processing", url: null }));
    const p = poller({ batch: 2 });
    p.kick();
    await vi.advanceTimersByTimeAsync(3000);
    expect(asked).toEqual([1, 2, 3, 4, 5, 1]);
  });

  it("drops a post deleted meanwhile, retries after a network error, stops on an expired session", async () => {
    shown = [1, 2].map((id) => makePost(id, { status: "processing", url: null }));
    answers.set(1, () => Promise.reject({ kind: "notFound", message: "" }));
    answers.set(2, () => Promise.reject({ kind: "network", message: "down" }));
    const p = poller();
    p.kick();
    await vi.advanceTimersByTimeAsync(1000);
    expect(gone).toEqual([1]);
    expect(p.active()).toBe(true);
    answers.set(2, () => Promise.reject({ kind: "unauthorized", message: "" }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(fatal).toEqual([{ kind: "unauthorized", message: "" }]);
    expect(p.active()).toBe(false);
    p.kick();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(asked).toEqual([1, 2, 2]);
  });

  it("stop() ends it for good", async () => {
    shown = [makePost(1, { status: "processing", url: null })];
    const p = poller();
    p.kick();
    p.stop();
    p.kick();
    await vi.advanceTimersByTimeAsync(5000);
    expect(asked).toEqual([]);
  });
});
