import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PendingDeletion, type DeletionResult } from "./deletion";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("PendingDeletion", () => {
  it("removes nothing during the undo window, then everything", async () => {
    const remove = vi.fn(async () => null);
    const done: DeletionResult[] = [];
    new PendingDeletion([1, 2, 3], { remove, windowMs: 5000, onDone: (r) => done.push(r) });
    await vi.advanceTimersByTimeAsync(4999);
    expect(remove).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(remove.mock.calls.map((c) => (c as unknown[])[0])).toEqual([1, 2, 3]);
    expect(done).toEqual([{ deleted: [1, 2, 3], failed: [] }]);
  });

  it("undo within the window removes nothing at all", async () => {
    const remove = vi.fn(async () => null);
    const onDone = vi.fn();
    const pending = new PendingDeletion([1, 2], { remove, windowMs: 5000, onDone });
    expect(pending.undo()).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(remove).not.toHaveBeenCalled();
    expect(onDone).not.toHaveBeenCalled();
    expect(pending.undo()).toBe(false);
  });

  it("counts a post already gone as deleted and keeps the ones that failed", async () => {
    const error = { kind: "network", message: "down" };
    const remove = vi.fn(async (id: number) => {
      if (id === 2) throw { kind: "notFound", message: "" };
      if (id === 3) throw error;
      return null;
    });
    const done: DeletionResult[] = [];
    const pending = new PendingDeletion([1, 2, 3], { remove, onDone: (r) => done.push(r) });
    await pending.run();
    expect(done[0]!.deleted.sort()).toEqual([1, 2]);
    expect(done[0]!.failed).toEqual([{ id: 3, error }]);
    expect(pending.undo()).toBe(false);
  });

  it("sends at most `concurrency` deletions at once", async () => {
    let inFlight = 0;
    let most = 0;
    const remove = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight -= 1;
    };
    const pending = new PendingDeletion([1, 2, 3, 4, 5, 6, 7], { remove, concurrency: 3, onDone: () => {} });
    const run = pending.run();
    await vi.advanceTimersByTimeAsync(100);
    await run;
    expect(most).toBe(3);
  });
});
