import { afterEach, describe, expect, it } from "vitest";
import * as ipc from "./ipc";
import type { Transport } from "./ipc";
import type { UploadProgress } from "./types";

type Call = { cmd: string; args: unknown; options: unknown };

/** A reply that makes the fake command reject with `reason`. */
class Rejection {
  constructor(readonly reason: unknown) {}
}

function record(reply: (cmd: string) => unknown = () => null) {
  const calls: Call[] = [];
  const handlers = new Map<string, (p: unknown) => void>();
  const t: Transport = {
    invoke: async <T>(cmd: string, args?: unknown, options?: unknown) => {
      calls.push({ cmd, args, options });
      const r = reply(cmd);
      if (r instanceof Rejection) throw r.reason;
      return r as T;
    },
    listen: async (event, handler) => {
      handlers.set(event, handler as (p: unknown) => void);
      return () => handlers.delete(event);
    },
  };
  ipc.setTransport(t);
  return { calls, handlers };
}

afterEach(() => ipc.setTransport(null));

describe("ipc wrappers follow the command contract", () => {
  it("names the commands and passes camelCase arguments", async () => {
    const { calls } = record();
    await ipc.settingsGet();
    await ipc.settingsSave({ apiUrl: "http://a", authUrl: "http://b" });
    await ipc.sessionCurrent();
    await ipc.signInTestToken("ada@example.com");
    await ipc.signInBrowser("github");
    await ipc.signInCancel();
    await ipc.signOut();
    await ipc.policyGet();
    await ipc.postGet(4);
    await ipc.postDownload(5);
    await ipc.postDelete(6);
    await ipc.revealInFolder("/home/ada/Downloads/cat.png");
    await ipc.uploadCancel("up-1");
    expect(calls.map((c) => [c.cmd, c.args])).toEqual([
      ["settings_get", undefined],
      ["settings_save", { settings: { apiUrl: "http://a", authUrl: "http://b" } }],
      ["session_current", undefined],
      ["sign_in_test_token", { email: "ada@example.com" }],
      ["sign_in_browser", { provider: "github" }],
      ["sign_in_cancel", undefined],
      ["sign_out", undefined],
      ["policy_get", undefined],
      ["post_get", { id: 4 }],
      ["post_download", { id: 5 }],
      ["post_delete", { id: 6 }],
      ["plugin:opener|reveal_item_in_dir", { paths: ["/home/ada/Downloads/cat.png"] }],
      // Tauri maps `uploadId` onto the command's `upload_id`.
      ["upload_cancel", { uploadId: "up-1" }],
    ]);
  });

  it("sends only the query keys that are set", async () => {
    const { calls } = record(() => ({ items: [], nextCursor: null }));
    await ipc.postsList({ limit: 50 });
    await ipc.postsList({ status: "ready", cursor: "abc", limit: 50 });
    expect(calls[0]!.args).toEqual({ query: { limit: 50 } });
    expect(Object.keys((calls[0]!.args as { query: object }).query)).toEqual(["limit"]);
    expect(calls[1]!.args).toEqual({ query: { status: "ready", cursor: "abc", limit: 50 } });
  });

  it("passes the search, owner and sort through to the backend", async () => {
    const { calls } = record(() => ({ items: [], nextCursor: null }));
    await ipc.postsList({ limit: 50, q: "beach", owner: "a@b.c", sort: "size", order: "asc", status: undefined });
    expect(calls[0]!.args).toEqual({ query: { limit: 50, q: "beach", owner: "a@b.c", sort: "size", order: "asc" } });
  });

  it("sends upload bytes raw with the metadata in headers, names percent-encoded", async () => {
    const { calls } = record();
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47]).buffer;
    await ipc.upload({ uploadId: "u-1", filename: "café photo.png", contentType: "image/png", title: "Le café", bytes });
    const call = calls[0]!;
    expect(call.cmd).toBe("upload");
    expect(call.args).toBeInstanceOf(Uint8Array);
    expect([...(call.args as Uint8Array)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(call.options).toEqual({
      headers: {
        "x-upload-id": "u-1",
        "x-filename": "caf%C3%A9%20photo.png",
        "x-content-type": "image/png",
        "x-title": "Le%20caf%C3%A9",
      },
    });
  });

  it("rejects with the command's AppError as it is", async () => {
    record(() => new Rejection({ kind: "notFound", message: "no such post" }));
    await expect(ipc.postGet(1)).rejects.toEqual({ kind: "notFound", message: "no such post" });
  });

  it("rejects with an 'unexpected' error when Tauri itself fails", async () => {
    record(() => new Rejection("command post_get not found"));
    await expect(ipc.postGet(1)).rejects.toEqual({ kind: "unexpected", message: "command post_get not found" });
  });

  it("delivers upload-progress events and stops on request", async () => {
    const { handlers } = record();
    const seen: UploadProgress[] = [];
    const stop = await ipc.onUploadProgress((p) => seen.push(p));
    const event: UploadProgress = { uploadId: "u", phase: "uploading", sent: 1, total: 2 };
    handlers.get("upload-progress")!(event);
    expect(seen).toEqual([event]);
    stop();
    expect(handlers.has("upload-progress")).toBe(false);
  });
});
