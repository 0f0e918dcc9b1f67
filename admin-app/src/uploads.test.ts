import { describe, expect, it } from "vitest";
import { checkFile, type FileLike } from "./policy";
import { deferred, flush, makePolicy, makePost } from "./test-support";
import type { Policy, Post } from "./types";
import {
  newItem,
  newUploadId,
  overallProgress,
  progressFraction,
  progressText,
  reduceUpload,
  UploadQueue,
  type UploadItem,
} from "./uploads";

const policy: Policy = makePolicy(1000, ["image/png", "image/jpeg"]);
const png = (name: string, size = 100): FileLike => ({ name, size, type: "image/png" });

describe("reduceUpload: one file's life", () => {
  const start = newItem("u1", png("cat.png", 200));

  it("goes checking → queued → sending → done, with the words for each", () => {
    expect(start.state).toBe("checking-locally");
    const queued = reduceUpload(start, { type: "accepted", contentType: "image/png" });
    expect([queued.state, progressText(queued)]).toEqual(["queued", "Waiting…"]);
    const sending = reduceUpload(queued, { type: "started" });
    expect([sending.state, progressText(sending), progressFraction(sending)]).toEqual(["sending", "Preparing…", null]);
    const half = reduceUpload(sending, { type: "progress", phase: "uploading", sent: 84, total: 200 });
    expect([progressText(half), progressFraction(half)]).toEqual(["Uploading 42%", 0.42]);
    const checking = reduceUpload(half, { type: "progress", phase: "checking", sent: 200, total: 200 });
    expect([progressText(checking), progressFraction(checking)]).toEqual(["Checking…", 1]);
    const done = reduceUpload(checking, { type: "succeeded", post: makePost(7) });
    expect([done.state, progressText(done), done.post?.id]).toEqual(["done", "Done", 7]);
  });

  it("an upload the server is still processing (202) is done here, and says so", () => {
    const sending = reduceUpload(reduceUpload(start, { type: "accepted", contentType: "image/png" }), { type: "started" });
    const done = reduceUpload(sending, { type: "succeeded", post: makePost(8, { status: "processing", url: null }) });
    expect([done.state, progressText(done), progressFraction(done)]).toEqual(["done", "Uploaded · processing…", 1]);
  });

  it("a local refusal fails at once with its message", () => {
    const failed = reduceUpload(start, { type: "refused", message: "too big" });
    expect([failed.state, progressText(failed)]).toEqual(["failed", "too big"]);
  });

  it("a failed send shows the error in words", () => {
    const sending = reduceUpload(reduceUpload(start, { type: "accepted", contentType: "image/png" }), { type: "started" });
    const failed = reduceUpload(sending, { type: "failed", message: "Can't reach the imgup API. Is it running?", retryable: true });
    expect(failed.state).toBe("failed");
    expect(progressText(failed)).toBe("Can't reach the imgup API. Is it running?");
  });

  it("ignores progress that does not belong (late, backwards, or before sending)", () => {
    const queued = reduceUpload(start, { type: "accepted", contentType: "image/png" });
    expect(reduceUpload(queued, { type: "progress", phase: "uploading", sent: 5, total: 200 })).toBe(queued);
    const sending = reduceUpload(queued, { type: "started" });
    const at80 = reduceUpload(sending, { type: "progress", phase: "uploading", sent: 160, total: 200 });
    expect(reduceUpload(at80, { type: "progress", phase: "uploading", sent: 100, total: 200 })).toBe(at80);
    const checking = reduceUpload(at80, { type: "progress", phase: "checking", sent: 200, total: 200 });
    expect(reduceUpload(checking, { type: "progress", phase: "uploading", sent: 200, total: 200 })).toBe(checking);
    const done = reduceUpload(checking, { type: "succeeded", post: makePost(1) });
    expect(reduceUpload(done, { type: "progress", phase: "uploading", sent: 1, total: 200 })).toBe(done);
    expect(reduceUpload(done, { type: "failed", message: "late", retryable: true })).toBe(done);
  });

  it("gives every upload its own id", () => {
    expect(newUploadId()).not.toBe(newUploadId());
  });
});

function setup(opts: { concurrency?: number; abort?: (item: UploadItem) => void } = {}) {
  const sends = new Map<string, ReturnType<typeof deferred<Post>>>();
  const changes: UploadItem[] = [];
  const succeeded: Post[] = [];
  const failures: unknown[] = [];
  let n = 0;
  const queue = new UploadQueue<FileLike>({
    concurrency: opts.concurrency ?? 3,
    newId: () => `u${++n}`,
    check: async (file) => checkFile(file, policy),
    send: (item) => {
      const d = deferred<Post>();
      sends.set(item.id, d);
      return d.promise;
    },
    describe: (error) => `failed: ${(error as { kind: string }).kind}`,
    onChange: (item) => changes.push(item),
    onSucceeded: (_item, post) => succeeded.push(post),
    onFailed: (_item, error) => failures.push(error),
    onCancelledLanded: (post) => landed.push(post),
    abort: opts.abort,
  });
  const landed: Post[] = [];
  const states = () => queue.list().map((i) => i.state);
  return { queue, sends, changes, succeeded, failures, states, landed };
}

describe("UploadQueue", () => {
  it("checks every file before sending, and sends nothing that fails the check", async () => {
    const t = setup();
    t.queue.add([png("ok.png"), png("big.png", 5000), { name: "doc.pdf", size: 10, type: "application/pdf" }]);
    expect(t.states()).toEqual(["checking-locally", "checking-locally", "checking-locally"]);
    await flush();
    expect(t.states()).toEqual(["sending", "failed", "failed"]);
    expect([...t.sends.keys()]).toEqual(["u1"]);
    expect(t.queue.get("u2")?.error).toContain("larger than the 1000 B limit");
  });

  it("sends at most three at once and starts the next when one ends", async () => {
    const t = setup();
    t.queue.add([1, 2, 3, 4, 5].map((i) => png(`f${i}.png`)));
    await flush();
    expect(t.states()).toEqual(["sending", "sending", "sending", "queued", "queued"]);
    t.sends.get("u2")!.resolve(makePost(2));
    await flush();
    expect(t.states()).toEqual(["sending", "done", "sending", "sending", "queued"]);
    t.sends.get("u1")!.reject({ kind: "network", message: "refused" });
    await flush();
    expect(t.states()).toEqual(["failed", "done", "sending", "sending", "sending"]);
    expect(t.queue.sendingCount()).toBe(3);
  });

  it("reports the new post and the failure words", async () => {
    const t = setup();
    t.queue.add([png("a.png"), png("b.png")]);
    await flush();
    t.sends.get("u1")!.resolve(makePost(11));
    t.sends.get("u2")!.reject({ kind: "rejected", message: "not a PNG" });
    await flush();
    expect(t.succeeded.map((p) => p.id)).toEqual([11]);
    expect(t.queue.get("u2")?.error).toBe("failed: rejected");
    expect(t.failures).toEqual([{ kind: "rejected", message: "not a PNG" }]);
  });

  it("routes progress events to the right file by upload id", async () => {
    const t = setup();
    t.queue.add([png("a.png", 100), png("b.png", 100)]);
    await flush();
    t.queue.progress({ uploadId: "u2", phase: "uploading", sent: 50, total: 100 });
    t.queue.progress({ uploadId: "nobody", phase: "uploading", sent: 50, total: 100 });
    expect(progressText(t.queue.get("u1")!)).toBe("Preparing…");
    expect(progressText(t.queue.get("u2")!)).toBe("Uploading 50%");
  });

  it("a failing policy load fails the file with words, nothing sent", async () => {
    const queue = new UploadQueue<FileLike>({
      check: () => Promise.reject({ kind: "network", message: "down" }),
      send: () => Promise.reject(new Error("must not send")),
      describe: () => "Can't reach the imgup API. Is it running?",
      onChange: () => {},
    });
    const [item] = queue.add([png("a.png")]);
    await flush();
    expect(queue.get(item!.id)).toMatchObject({ state: "failed", error: "Can't reach the imgup API. Is it running?" });
  });

  it("clears finished rows only", async () => {
    const t = setup({ concurrency: 1 });
    t.queue.add([png("a.png"), png("b.png"), png("huge.png", 9999)]);
    await flush();
    t.sends.get("u1")!.resolve(makePost(1));
    await flush();
    expect(t.states()).toEqual(["done", "sending", "failed"]);
    expect(t.queue.clearFinished()).toEqual(["u1", "u3"]);
    expect(t.states()).toEqual(["sending"]);
  });
});

describe("UploadQueue: cancel, retry, overall progress", () => {
  it("a file not sent yet is dropped; the next one starts in its place", async () => {
    const t = setup({ concurrency: 1 });
    t.queue.add([png("a.png"), png("b.png"), png("c.png")]);
    await flush();
    t.queue.cancel("u2");
    expect(t.states()).toEqual(["sending", "cancelled", "queued"]);
    expect(progressText(t.queue.get("u2")!)).toBe("Cancelled");
    t.sends.get("u1")!.resolve(makePost(1));
    await flush();
    expect(t.states()).toEqual(["done", "cancelled", "sending"]);
    expect([...t.sends.keys()]).toEqual(["u1", "u3"]);
  });

  it("a file cancelled while sending that the server took anyway is handed back to be removed", async () => {
    const t = setup();
    t.queue.add([png("a.png")]);
    await flush();
    t.queue.cancel("u1");
    t.sends.get("u1")!.resolve(makePost(7));
    await flush();
    expect(t.states()).toEqual(["cancelled"]);
    expect(t.succeeded).toEqual([]);
    expect(t.landed.map((p) => p.id)).toEqual([7]);
  });

  it("retries a failed file (checked again) and only the latest attempt's answer counts", async () => {
    const t = setup();
    t.queue.add([png("a.png")]);
    await flush();
    const first = t.sends.get("u1")!;
    first.reject({ kind: "network", message: "down" });
    await flush();
    expect(t.states()).toEqual(["failed"]);
    t.queue.retry("u1");
    await flush();
    expect(t.states()).toEqual(["sending"]);
    t.sends.get("u1")!.resolve(makePost(3));
    await flush();
    expect(t.states()).toEqual(["done"]);
    expect(t.succeeded.map((p) => p.id)).toEqual([3]);
  });

  it("stops a file that is sending on the Rust side, and not one that was only queued", async () => {
    const aborted: string[] = [];
    const t = setup({ concurrency: 1, abort: (item) => aborted.push(item.id) });
    t.queue.add([png("a.png"), png("b.png")]);
    await flush();
    t.queue.cancel("u2"); // queued: simply dropped
    t.queue.cancel("u1"); // sending: its PUT is stopped
    expect(aborted).toEqual(["u1"]);
    t.queue.cancel("u1"); // once
    expect(aborted).toEqual(["u1"]);
    // The Rust side answers `cancelled`: nothing more to say.
    t.sends.get("u1")!.reject({ kind: "cancelled", message: "the upload was cancelled" });
    await flush();
    expect(t.states()).toEqual(["cancelled", "cancelled"]);
    expect(t.failures).toEqual([]);
  });

  it("offers Retry only for failures worth retrying; a final answer shows its reason alone", async () => {
    const t = setup();
    t.queue.add([png("net.png"), png("busy.png"), png("quota.png"), png("bad.png"), png("big.png", 5000)]);
    await flush();
    t.sends.get("u1")!.reject({ kind: "network", message: "down" });
    t.sends.get("u2")!.reject({ kind: "server", message: "busy", code: "busy" });
    t.sends.get("u3")!.reject({ kind: "forbidden", message: "you keep 100 posts", code: "quota_exceeded" });
    await flush();
    t.sends.get("u4")!.reject({ kind: "rejected", message: "the PNG image is damaged", code: "corrupt" });
    await flush();
    const retryable = t.queue.list().map((i) => [i.name, i.state, t.queue.canRetry(i.id)]);
    expect(retryable).toEqual([
      ["net.png", "failed", true],
      ["busy.png", "failed", true],
      ["quota.png", "failed", false],
      ["bad.png", "failed", false],
      ["big.png", "failed", false], // refused here, before sending
    ]);
    expect(t.queue.get("u4")!.error).toBe("failed: rejected");
    // Asked anyway, a final one is not sent again.
    t.queue.retry("u3");
    t.queue.retry("u5");
    await flush();
    expect(t.queue.get("u3")!.state).toBe("failed");
    expect(t.queue.get("u5")!.state).toBe("failed");
    expect([...t.sends.keys()]).toEqual(["u1", "u2", "u3", "u4"]);
  });

  it("a check that could not run (the policy did not load) may be retried", async () => {
    let down = true;
    const queue = new UploadQueue<FileLike>({
      newId: () => "q1",
      check: async (file) => {
        if (down) throw { kind: "network", message: "refused" };
        return checkFile(file, policy);
      },
      send: async () => makePost(5),
      describe: (error) => `failed: ${(error as { kind: string }).kind}`,
      onChange: () => {},
    });
    queue.add([png("a.png")]);
    await flush();
    expect([queue.get("q1")!.state, queue.canRetry("q1")]).toEqual(["failed", true]);
    down = false;
    queue.retry("q1");
    await flush();
    expect(queue.get("q1")!.state).toBe("done");
  });

  it("adds up what all files have sent, until every one has ended", async () => {
    const t = setup();
    t.queue.add([png("a.png", 100), png("b.png", 300)]);
    await flush();
    t.queue.progress({ uploadId: "u2", phase: "uploading", sent: 150, total: 300 });
    expect(overallProgress(t.queue.list())).toEqual({ sent: 150, total: 400 });
    t.sends.get("u1")!.resolve(makePost(1));
    await flush();
    expect(overallProgress(t.queue.list())).toEqual({ sent: 250, total: 400 });
    t.sends.get("u2")!.resolve(makePost(2));
    await flush();
    expect(overallProgress(t.queue.list())).toBeNull();
  });
});
