// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeError } from "../errors";
import { h } from "../dom";
import { deferred, flush, makeMeasuredPost, makePost } from "../test-support";
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
    openOriginal: vi.fn(async () => null),
    remove: async () => null,
    describe: (e, action) => describeError(e, { action, filename: "cat.png" }),
    onUnauthorized: vi.fn(),
    onUpdated: vi.fn(),
    onDeleted: vi.fn(),
    ...over,
  };
}

beforeEach(() => {
  document.body.replaceChildren(h("div", { id: "app" }));
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockReturnValue(null); // jsdom has none
});
afterEach(() => {
  closeAllModals();
  vi.restoreAllMocks();
});

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

  it("offers Show in folder once a download has finished, and reveals that file", async () => {
    const saving = deferred<string>();
    const reveal = vi.fn(async () => null);
    openPreview(post, deps({ download: () => saving.promise, reveal }));
    const show = $("#show-in-folder")!;
    expect(show.hidden).toBe(true);
    $("#download-post")!.click();
    await flush();
    expect(show.hidden).toBe(true); // not while it is still saving
    saving.resolve("/home/ada/Downloads/cat (2).png");
    await flush();
    expect(show.hidden).toBe(false);
    expect(show.textContent).toBe("Show in folder");
    show.click();
    await flush();
    expect(reveal).toHaveBeenCalledWith("/home/ada/Downloads/cat (2).png");
  });

  it("offers no Show in folder after a failed download, or without a way to reveal", async () => {
    openPreview(post, deps({ download: async () => Promise.reject({ kind: "storage", message: "disk full" }), reveal: vi.fn() }));
    $("#download-post")!.click();
    await flush();
    expect($("#show-in-folder")!.hidden).toBe(true);
    closeAllModals();
    openPreview(post, deps());
    $("#download-post")!.click();
    await flush();
    expect($(".preview-status")!.textContent).toBe("Saved to /home/ada/Downloads/cat.png");
    expect($("#show-in-folder")!.hidden).toBe(true);
  });

  it("says why the file could not be shown in its folder", async () => {
    const reveal = vi.fn(async () => Promise.reject("org.freedesktop.FileManager1 is not available"));
    openPreview(post, deps({ reveal }));
    $("#download-post")!.click();
    await flush();
    $("#show-in-folder")!.click();
    await flush();
    expect($(".preview-status")!.textContent).toBe("Couldn't show the file in its folder (org.freedesktop.FileManager1 is not available).");
    expect(($("#show-in-folder") as HTMLButtonElement).disabled).toBe(false);
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

  it("shows the medium variant, the dimensions, and opens the original on request", async () => {
    const measured = makeMeasuredPost(8, { filename: "sunset.png" });
    const d = deps({ getPost: async () => measured });
    openPreview(measured, d);
    await flush();
    const image = $("#preview-image") as HTMLImageElement;
    expect(image.getAttribute("src")).toBe("http://s3.test/v/8-medium.webp?sig=abc");
    expect(image.dataset.kind).toBe("medium");
    expect($("#preview-dimensions")!.textContent).toBe("640 × 400 px");
    expect($("#preview")!.textContent).toContain("Dimensions");
    // The BlurHash's colour behind it while it loads.
    expect($(".preview-stage")!.style.backgroundColor).toBe("rgb(151, 150, 149)");
    const original = $("#open-original") as HTMLButtonElement;
    expect(original.hidden).toBe(false);
    original.click();
    expect(d.openOriginal).toHaveBeenCalledWith(8);
  });

  it("falls back to the original without variants, and says when the size is unknown", async () => {
    const avif = makePost(9, { contentType: "image/avif", url: "http://s3.test/original.avif" });
    openPreview(avif, deps({ getPost: async () => avif }));
    await flush();
    const image = $("#preview-image") as HTMLImageElement;
    expect(image.getAttribute("src")).toBe("http://s3.test/original.avif");
    expect(image.dataset.kind).toBe("original");
    expect($("#preview-dimensions")!.textContent).toBe("—");
  });

  it("a post without an image has no Open original, and a rejection shows its reason and code", async () => {
    const rejected = makePost(10, { status: "rejected", url: null, rejectionReason: "the image is corrupt", rejectionCode: "corrupt" });
    openPreview(rejected, deps({ getPost: async () => rejected }));
    await flush();
    expect(($("#open-original") as HTMLButtonElement).hidden).toBe(true);
    const text = $("#preview")!.textContent!;
    expect(text).toContain("Why rejected");
    expect(text).toContain("the image is corrupt");
    expect(text).toContain("corrupt");
  });

  it("says why the original could not be opened", async () => {
    const measured = makeMeasuredPost(11);
    openPreview(
      measured,
      deps({ getPost: async () => measured, openOriginal: async () => Promise.reject({ kind: "server", message: "cannot open the browser: no xdg-open" }) }),
    );
    await flush();
    $("#open-original")!.click();
    await flush();
    expect($(".preview-status")!.textContent).toBe("Couldn't open the original in your browser (cannot open the browser: no xdg-open).");
  });
});

describe("preview titles", () => {
  const key = (el: Element, k: string) => el.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));

  it("edits the title in place: Enter saves through the API, the card hears of it", async () => {
    const retitle = vi.fn(async (id: number, title: string | null) => makePost(id, { ...post, title }));
    const d = deps({ retitle });
    openPreview(post, d);
    await flush();
    $("#edit-title")!.click();
    const input = $("#title-input") as HTMLInputElement;
    expect(input.hidden).toBe(false);
    expect(input.value).toBe("Cat");
    expect(document.activeElement).toBe(input);
    input.value = "  Grumpy cat ";
    key(input, "Enter");
    await flush();
    expect(retitle).toHaveBeenCalledWith(7, "Grumpy cat");
    expect($("#preview-title")!.textContent).toBe("Grumpy cat");
    expect(input.hidden).toBe(true);
    expect(d.onUpdated).toHaveBeenLastCalledWith(expect.objectContaining({ title: "Grumpy cat" }));
    expect($("#preview")!.textContent).toContain("Title saved.");
  });

  it("an empty title clears it; Esc leaves the field and keeps the dialog open", async () => {
    const retitle = vi.fn(async (id: number, title: string | null) => makePost(id, { ...post, title }));
    openPreview(post, deps({ retitle }));
    await flush();
    $("#edit-title")!.click();
    const input = $("#title-input") as HTMLInputElement;
    key(input, "Escape");
    expect($("#preview")).not.toBeNull();
    expect(input.hidden).toBe(true);
    expect(retitle).not.toHaveBeenCalled();
    $("#edit-title")!.click();
    input.value = "   ";
    key(input, "Enter");
    await flush();
    expect(retitle).toHaveBeenCalledWith(7, null);
    expect($("#preview-title")!.textContent).toBe("cat.png");
  });

  it("says why a title was refused and keeps the field", async () => {
    const retitle = vi.fn(async () => {
      throw { kind: "invalidInput", message: "title is longer than 200 characters" };
    });
    openPreview(post, deps({ retitle }));
    await flush();
    $("#edit-title")!.click();
    const input = $("#title-input") as HTMLInputElement;
    input.value = "x";
    key(input, "Enter");
    await flush();
    expect(input.hidden).toBe(false);
    expect($(".preview-status")!.dataset.kind).toBe("error");
    expect($(".preview-status")!.textContent).toContain("200 characters");
  });

  it("offers no editing without the command", () => {
    openPreview(post, deps());
    expect($("#edit-title")!.hidden).toBe(true);
  });
});

describe("preview: fit or 1:1", () => {
  const key = (k: string, over: KeyboardEventInit = {}) =>
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...over }));
  /** The preview, its image loaded at `w`×`h` (jsdom loads nothing: say so). */
  async function openLoaded(w = 1280, h = 800, over: Partial<PreviewDeps> = {}) {
    const measured = makeMeasuredPost(8, { filename: "sunset.png" });
    openPreview(measured, deps({ getPost: async () => measured, ...over }));
    await flush();
    const image = $("#preview-image") as HTMLImageElement;
    Object.defineProperty(image, "naturalWidth", { value: w, configurable: true });
    Object.defineProperty(image, "naturalHeight", { value: h, configurable: true });
    Object.defineProperty(image, "complete", { value: true, configurable: true });
    const stage = $("#preview-stage")!;
    Object.defineProperty(stage, "clientWidth", { value: 600, configurable: true });
    Object.defineProperty(stage, "clientHeight", { value: 400, configurable: true });
    image.dispatchEvent(new Event("load"));
    return { image, stage, button: $("#preview-zoom") as HTMLButtonElement };
  }

  it("fits by default; the button shows 1:1 at the image's real pixel size, with its state", async () => {
    const { image, stage, button } = await openLoaded();
    expect(stage.dataset.zoom).toBe("fit");
    expect(button.getAttribute("aria-pressed")).toBe("false");
    expect(image.style.width).toBe("");
    button.click();
    expect(stage.dataset.zoom).toBe("actual");
    expect(button.getAttribute("aria-pressed")).toBe("true");
    expect([image.style.width, image.style.height]).toEqual(["1280px", "800px"]);
    expect(stage.getAttribute("aria-label")).toContain("Actual size (1280 × 800 px)");
    // Centred: scrolled to the middle of what overflows.
    expect([stage.scrollLeft, stage.scrollTop]).toEqual([340, 200]);
    expect(stage.tabIndex).toBe(0);
    button.click();
    expect(stage.dataset.zoom).toBe("fit");
    expect(button.getAttribute("aria-pressed")).toBe("false");
    expect(image.style.width).toBe("");
    expect(stage.hasAttribute("tabindex")).toBe(false);
  });

  it("z toggles it from the keyboard (not while typing, not with Ctrl)", async () => {
    const { stage } = await openLoaded();
    key("z");
    expect(stage.dataset.zoom).toBe("actual");
    key("z", { ctrlKey: true });
    expect(stage.dataset.zoom).toBe("actual");
    key("Z");
    expect(stage.dataset.zoom).toBe("fit");
    $("#edit-title")!.click();
    key("z");
    expect(stage.dataset.zoom).toBe("fit");
  });

  it("at 1:1 the arrows pan the image instead of changing posts; fitted they change posts", async () => {
    const neighbour = vi.fn(() => makePost(5, { filename: "five.png" }));
    const { stage } = await openLoaded(1280, 800, { neighbour });
    key("z");
    const [left, top] = [stage.scrollLeft, stage.scrollTop];
    key("ArrowRight");
    key("ArrowDown");
    expect([stage.scrollLeft, stage.scrollTop]).toEqual([left + 60, top + 40]);
    expect(neighbour).not.toHaveBeenCalled();
    expect($("#preview-title")!.textContent).toBe("sunset.png");
    key("z");
    key("ArrowRight");
    expect(neighbour).toHaveBeenCalled();
    expect($("#preview-title")!.textContent).toBe("five.png");
    expect($("#preview-stage")!.dataset.zoom).toBe("fit"); // the next post opens fitted
  });

  it("drags to pan at 1:1", async () => {
    const { stage } = await openLoaded();
    $("#preview-zoom")!.click();
    const [left, top] = [stage.scrollLeft, stage.scrollTop];
    const pointer = (type: string, x: number, y: number) => {
      const event = new MouseEvent(type, { bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0 });
      Object.defineProperty(event, "pointerId", { value: 1 });
      stage.dispatchEvent(event);
    };
    pointer("pointerdown", 100, 100);
    pointer("pointermove", 70, 90);
    pointer("pointerup", 70, 90);
    expect([stage.scrollLeft, stage.scrollTop]).toEqual([left + 30, top + 10]);
    pointer("pointermove", 0, 0); // released: no more panning
    expect([stage.scrollLeft, stage.scrollTop]).toEqual([left + 30, top + 10]);
  });

  it("a post without an image has no zoom", async () => {
    openPreview(makePost(3, { status: "processing", url: null }), deps({ getPost: async () => makePost(3, { status: "processing", url: null }) }));
    await flush();
    expect($("#preview-zoom")!.hidden).toBe(true);
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: "z", bubbles: true }));
    expect($("#preview-stage")!.dataset.zoom).toBe("fit");
  });
});

describe("preview: neighbours and copying", () => {
  const key = (k: string) =>
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));

  it("← and → move to the previous and next post in the same place", async () => {
    const posts = [makePost(9, { filename: "nine.png" }), post, makePost(5, { filename: "five.png" })];
    const neighbour = (p: { id: number }, d: -1 | 1) => posts[posts.findIndex((x) => x.id === p.id) + d];
    const d = deps({ neighbour, getPost: async (id) => posts.find((p) => p.id === id)! });
    openPreview(post, d);
    await flush();
    key("ArrowRight");
    await flush();
    expect(document.querySelectorAll("#preview")).toHaveLength(1);
    expect($("#preview-title")!.textContent).toBe("five.png");
    key("ArrowRight");
    expect($("#preview-title")!.textContent).toBe("five.png");
    key("ArrowLeft");
    key("ArrowLeft");
    await flush();
    expect($("#preview-title")!.textContent).toBe("nine.png");
  });

  it("copies the link and the key, and says so", async () => {
    const copy = vi.fn(async () => {});
    openPreview(post, deps({ copy }));
    await flush();
    $("#copy-key")!.click();
    await flush();
    expect(copy).toHaveBeenLastCalledWith("uploads/abc.png");
    expect($(".preview-status")!.textContent).toBe("Key copied.");
    $("#copy-url")!.click();
    await flush();
    expect(copy).toHaveBeenLastCalledWith("http://s3.test/fresh.png");
  });

  it("says when the clipboard refused", async () => {
    openPreview(post, deps({ copy: async () => Promise.reject(new Error("denied")) }));
    await flush();
    $("#copy-key")!.click();
    await flush();
    expect($(".preview-status")!.textContent).toBe("Couldn't copy the key (denied).");
    expect($(".preview-status")!.dataset.kind).toBe("error");
  });
});
