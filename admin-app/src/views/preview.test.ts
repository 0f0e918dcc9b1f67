// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeError } from "../errors";
import { h } from "../dom";
import { deferred, flush, makePost } from "../test-support";
import type { Post } from "../types";
import { closeAllModals } from "./modal";
import { openPreview, type PreviewDeps } from "./preview";

const $ = (sel: string) => document.querySelector<HTMLElement>(sel);
const post = makePost(7, { filename: "cat.png", title: "Cat", objectKey: "uploads/abc.png", ownerId: "1" });

function deps(over: Partial<PreviewDeps> = {}): PreviewDeps {
  return {
    myId: "1",
    getPost: async (id) => makePost(id, { ...post, url: "http://s3.test/fresh.png" }),
    download: async () => "/home/ada/Downloads/cat.png",
    remove: async () => null,
    describe: (e, action) => describeError(e, { action, filename: "cat.png" }),
    onUnauthorized: vi.fn(),
    onUpdated: vi.fn(),
    onDeleted: vi.fn(),
    ...over,
  };
}

beforeEach(() => document.body.replaceChildren(h("div", { id: "app" })));
afterEach(() => closeAllModals());

describe("preview", () => {
  it("shows the image with a fresh URL from post_get, and the metadata", async () => {
    const d = deps();
    openPreview(post, d);
    expect($("#preview")).not.toBeNull();
    await flush();
    expect($("#preview-image")!.getAttribute("src")).toBe("http://s3.test/fresh.png");
    const text = $("#preview")!.textContent!;
    for (const part of ["Cat", "cat.png", "PNG (image/png)", "you", "Ready", "uploads/abc.png", "Object key", "Updated"]) {
      expect(text).toContain(part);
    }
    expect(d.onUpdated).toHaveBeenCalledWith(expect.objectContaining({ id: 7, url: "http://s3.test/fresh.png" }));
  });

  it("closes with the close button and with Escape", () => {
    openPreview(post, deps());
    $("#preview-close")!.click();
    expect($("#preview")).toBeNull();
    openPreview(post, deps());
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect($("#preview")).toBeNull();
  });

  it("downloads and says where the file went", async () => {
    openPreview(post, deps());
    $("#download-post")!.click();
    await flush();
    expect($(".preview-status")!.textContent).toBe("Saved to /home/ada/Downloads/cat.png");
  });

  it("says why a download failed", async () => {
    openPreview(post, deps({ download: async () => Promise.reject({ kind: "storage", message: "disk full" }) }));
    $("#download-post")!.click();
    await flush();
    expect($(".preview-status")!.textContent).toBe("Couldn't save the file (disk full).");
  });

  it("deletes only after confirmation, then closes and reports the deletion", async () => {
    const removal = deferred<null>();
    const remove = vi.fn(() => removal.promise);
    const d = deps({ remove });
    openPreview(post, d);
    $("#delete-post")!.click();
    expect(document.body.textContent).toContain("Delete cat.png? This removes the image for good.");
    expect(document.activeElement?.id).toBe("cancel-delete");
    expect(remove).not.toHaveBeenCalled();
    $("#confirm-delete")!.click();
    expect(remove).toHaveBeenCalledWith(7);
    expect(($("#confirm-delete") as HTMLButtonElement).disabled).toBe(true);
    removal.resolve(null);
    await flush();
    expect($("#confirm-delete")).toBeNull();
    expect($("#preview")).toBeNull();
    expect(d.onDeleted).toHaveBeenCalledWith(post, "deleted");
  });

  it("Cancel (or Escape) in the confirmation keeps the image and the preview", async () => {
    const d = deps();
    openPreview(post, d);
    $("#delete-post")!.click();
    $("#cancel-delete")!.click();
    await flush();
    expect($("#confirm-delete")).toBeNull();
    expect($("#preview")).not.toBeNull();
    $("#delete-post")!.click();
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    await flush();
    expect($("#confirm-delete")).toBeNull();
    expect($("#preview")).not.toBeNull();
    expect(d.onDeleted).not.toHaveBeenCalled();
  });

  it("keeps the confirmation open with the reason when the delete fails", async () => {
    const d = deps({ remove: async () => Promise.reject({ kind: "forbidden", message: "" }) });
    openPreview(post, d);
    $("#delete-post")!.click();
    $("#confirm-delete")!.click();
    await flush();
    expect($("#confirm-delete")).not.toBeNull();
    expect(document.body.textContent).toContain("You can't delete this image: only its owner or an admin can.");
    expect(d.onDeleted).not.toHaveBeenCalled();
  });

  it("treats an image that is already gone as deleted elsewhere", async () => {
    const d = deps({ getPost: async () => Promise.reject({ kind: "notFound", message: "" }) });
    openPreview(post, d);
    await flush();
    expect($(".preview-status")!.textContent).toBe("This image no longer exists. Someone may have deleted it.");
    expect(d.onDeleted).toHaveBeenCalledWith(post, "gone");
  });

  it("hands an expired session to the app", async () => {
    const d = deps({ getPost: async (): Promise<Post> => Promise.reject({ kind: "unauthorized", message: "" }) });
    openPreview(post, d);
    await flush();
    expect(d.onUnauthorized).toHaveBeenCalled();
  });
});
