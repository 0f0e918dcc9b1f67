// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeError } from "../errors";
import type { UploadRequest } from "../ipc";
import { deferred, flush, makePolicy, makePost } from "../test-support";
import type { Policy, Post, UploadProgress } from "../types";
import { uploadView, type UploadView } from "./upload";

const policy: Policy = makePolicy(1024, ["image/png", "image/jpeg"]);
let view: UploadView;
let sends: { req: UploadRequest; reply: ReturnType<typeof deferred<Post>> }[];
let progress: (p: UploadProgress) => void;
let uploaded: Post[];
let cancelled: string[];
let rejected: unknown[];

beforeEach(() => {
  sends = [];
  uploaded = [];
  cancelled = [];
  rejected = [];
  view = uploadView({
    getPolicy: async () => policy,
    send: (req) => {
      const reply = deferred<Post>();
      sends.push({ req, reply });
      return reply.promise;
    },
    listenProgress: async (handler) => ((progress = handler), () => {}),
    describe: (e, filename) => describeError(e, { action: "upload", filename, maxBytes: policy.maxBytes }),
    onUploaded: (p) => uploaded.push(p),
    onUnauthorized: vi.fn(),
    cancelSend: async (id) => cancelled.push(id),
    onRejected: (e) => rejected.push(e),
  });
  document.body.replaceChildren(...view.controls, view.panel, view.overlay);
});
afterEach(() => view.destroy());

const rows = () => [...document.querySelectorAll<HTMLElement>("#upload-list [data-upload]")];
const row = (name: string) => rows().find((r) => r.querySelector(".name")!.textContent === name)!;
// jsdom's File has no arrayBuffer() (WebKit's has): give it one.
const png = (name: string, size = 10) =>
  Object.assign(new File([new Uint8Array(size)], name, { type: "image/png" }), {
    arrayBuffer: async () => new Uint8Array(size).buffer,
  });

describe("upload panel", () => {
  it("keeps a file input WebDriver can reach (hidden by look, not display:none) with the policy's types", async () => {
    await flush();
    const input = document.getElementById("file-input") as HTMLInputElement;
    expect(input.type).toBe("file");
    expect(input.multiple).toBe(true);
    expect(input.hidden).toBe(false);
    expect(input.accept).toBe("image/png,.png,image/jpeg,.jpg,.jpeg");
  });

  it("refuses a file at once without sending it, and sends a good one with its bytes", async () => {
    view.addFiles([png("big.png", 4096), png("cat.png", 3)]);
    expect(rows().map((r) => r.dataset.state)).toEqual(["checking-locally", "checking-locally"]);
    await flush();
    expect(row("big.png").dataset.state).toBe("failed");
    expect(row("big.png").textContent).toContain("larger than the 1 KB limit");
    expect(row("cat.png").dataset.state).toBe("sending");
    expect(sends).toHaveLength(1);
    const req = sends[0]!.req;
    expect([req.filename, req.contentType, req.bytes.byteLength]).toEqual(["cat.png", "image/png", 3]);
  });

  it("shows the phases from upload-progress events, then Done, and hands over the post", async () => {
    view.addFiles([png("cat.png", 200)]);
    await flush();
    const id = sends[0]!.req.uploadId;
    const text = () => row("cat.png").querySelector(".upload-text")!.textContent;
    expect(text()).toBe("Preparing…");
    progress({ uploadId: id, phase: "uploading", sent: 84, total: 200 });
    expect(text()).toBe("Uploading 42%");
    expect(row("cat.png").querySelector("progress")!.value).toBeCloseTo(0.42);
    progress({ uploadId: id, phase: "checking", sent: 200, total: 200 });
    expect(text()).toBe("Checking…");
    sends[0]!.reply.resolve(makePost(31));
    await flush();
    expect(row("cat.png").dataset.state).toBe("done");
    expect(text()).toBe("Done");
    expect(uploaded.map((p) => p.id)).toEqual([31]);
  });

  it("shows a server refusal in words", async () => {
    view.addFiles([png("fake.png")]);
    await flush();
    sends[0]!.reply.reject({ kind: "rejected", message: "the first bytes are not a PNG image" });
    await flush();
    expect(row("fake.png").dataset.state).toBe("failed");
    expect(row("fake.png").textContent).toContain("The server checked the file and refused it: the first bytes are not a PNG image.");
  });

  it("queues beyond three at a time", async () => {
    view.addFiles([1, 2, 3, 4].map((i) => png(`f${i}.png`)));
    await flush();
    expect(row("f4.png").dataset.state).toBe("queued");
    expect(sends).toHaveLength(3);
  });

  it("takes files dropped anywhere on the window and shows the overlay while dragging", async () => {
    const overlay = document.getElementById("drop-overlay")!;
    const drag = (type: string, files: File[] = []) => {
      const event = new Event(type, { bubbles: true, cancelable: true }) as DragEvent;
      Object.defineProperty(event, "dataTransfer", { value: { types: ["Files"], files, dropEffect: "none" } });
      window.dispatchEvent(event);
      return event;
    };
    drag("dragenter");
    expect(overlay.hidden).toBe(false);
    expect(drag("dragover").defaultPrevented).toBe(true);
    const drop = drag("drop", [png("dropped.png")]);
    expect(drop.defaultPrevented).toBe(true);
    expect(overlay.hidden).toBe(true);
    await flush();
    expect(row("dropped.png").dataset.state).toBe("sending");
  });
});

describe("upload shortcut", () => {
  it("Ctrl+U (or Cmd+U) opens the file picker", () => {
    const input = document.getElementById("file-input") as HTMLInputElement;
    const picked = vi.spyOn(input, "click").mockImplementation(() => {});
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "u", ctrlKey: true, cancelable: true }));
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "U", metaKey: true, cancelable: true }));
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "u" }));
    expect(picked).toHaveBeenCalledTimes(2);
  });
});

describe("upload panel: what a failure offers", () => {
  const retryButton = (name: string) => row(name).querySelector<HTMLButtonElement>('[data-action="retry"]')!;

  it("a rejected image shows the server's reason and no Retry, and the grid is told", async () => {
    view.addFiles([png("truncated.png")]);
    await flush();
    const error = { kind: "rejected", message: "the PNG image is damaged (unexpected end of file)", code: "corrupt" };
    sends[0]!.reply.reject(error);
    await flush();
    expect(row("truncated.png").dataset.state).toBe("failed");
    expect(row("truncated.png").querySelector(".upload-text")!.textContent).toBe(
      "The server checked the file and refused it: the PNG image is damaged (unexpected end of file).",
    );
    expect(retryButton("truncated.png").hidden).toBe(true);
    expect(row("truncated.png").dataset.retryable).toBe("false");
    expect(rejected).toEqual([error]);
  });

  it("over the quota or too large: the reason only; the network or a busy server: Retry", async () => {
    view.addFiles([png("quota.png"), png("net.png"), png("busy.png"), png("big.png", 4096)]);
    await flush();
    sends[0]!.reply.reject({ kind: "forbidden", message: "you keep 10 posts", code: "quota_exceeded" });
    sends[1]!.reply.reject({ kind: "network", message: "cannot reach http://127.0.0.1:1" });
    sends[2]!.reply.reject({ kind: "server", message: "busy", code: "busy" });
    await flush();
    expect(retryButton("quota.png").hidden).toBe(true);
    expect(row("quota.png").textContent).toContain("would go past your quota");
    expect(retryButton("big.png").hidden).toBe(true);
    expect(retryButton("net.png").hidden).toBe(false);
    expect(retryButton("busy.png").hidden).toBe(false);
  });

  it("Cancel while sending stops the upload on the Rust side", async () => {
    view.addFiles([png("cat.png", 200)]);
    await flush();
    const id = sends[0]!.req.uploadId;
    progress({ uploadId: id, phase: "uploading", sent: 84, total: 200 });
    row("cat.png").querySelector<HTMLButtonElement>('[data-action="cancel"]')!.click();
    expect(cancelled).toEqual([id]);
    expect(row("cat.png").dataset.state).toBe("cancelled");
    sends[0]!.reply.reject({ kind: "cancelled", message: "the upload was cancelled" });
    await flush();
    expect(row("cat.png").dataset.state).toBe("cancelled");
    expect(retryButton("cat.png").hidden).toBe(false);
  });
});

describe("upload panel: title, cancel, retry, overall line, folding away", () => {
  it("gives the title in the field to the files added after it", async () => {
    (document.getElementById("upload-title") as HTMLInputElement).value = "  Holiday ";
    view.addFiles([png("a.png")]);
    (document.getElementById("upload-title") as HTMLInputElement).value = "";
    view.addFiles([png("b.png")]);
    await flush();
    expect(sends.map((s) => [s.req.filename, s.req.title])).toEqual([
      ["a.png", "Holiday"],
      ["b.png", ""],
    ]);
  });

  it("cancels a queued file, retries a failed one, and adds up the bytes of all", async () => {
    view.addFiles([1, 2, 3, 4].map((i) => png(`f${i}.png`, 100)));
    await flush();
    expect(document.getElementById("upload-overall")!.textContent).toBe("0 B of 400 B sent · 0 %");
    (row("f4.png").querySelector('[data-action="cancel"]') as HTMLButtonElement).click();
    expect(row("f4.png").dataset.state).toBe("cancelled");
    expect((row("f4.png").querySelector('[data-action="retry"]') as HTMLElement).hidden).toBe(false);
    sends[0]!.reply.reject({ kind: "network", message: "down" });
    await flush();
    const retry = row("f1.png").querySelector('[data-action="retry"]') as HTMLButtonElement;
    expect(retry.hidden).toBe(false);
    retry.click();
    await flush();
    expect(row("f1.png").dataset.state).toBe("sending");
    expect(sends.filter((s) => s.req.filename === "f1.png")).toHaveLength(2);
  });

  it("folds away by itself once every file is done", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      view.addFiles([png("a.png")]);
      await flush();
      sends[0]!.reply.resolve(makePost(1));
      await flush();
      expect(document.getElementById("upload-panel")!.hidden).toBe(false);
      await vi.advanceTimersByTimeAsync(4000);
      expect(document.getElementById("upload-panel")!.hidden).toBe(true);
      expect(rows()).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("stays open while a file failed", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      view.addFiles([png("a.png"), png("b.png")]);
      await flush();
      sends[0]!.reply.resolve(makePost(1));
      sends[1]!.reply.reject({ kind: "rejected", message: "no" });
      await flush();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(document.getElementById("upload-panel")!.hidden).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
