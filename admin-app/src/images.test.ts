import { describe, expect, it } from "vitest";
import {
  aspectRatio,
  averageColor,
  dimensionsText,
  placeholderPixels,
  placeholderSize,
  placeholderUrl,
  previewSource,
  thumbSource,
} from "./images";
import { BLURHASH, makePost } from "./test-support";
import type { Variant } from "./types";

const HASH = BLURHASH;
const variant = (name: string, width: number, height: number): Variant => ({
  url: `http://s3.test/variants/${name}.webp?sig=1`,
  width,
  height,
  contentType: "image/webp",
});
const measured = makePost(1, {
  width: 2400,
  height: 1600,
  blurhash: HASH,
  variants: { thumb: variant("thumb", 320, 213), medium: variant("medium", 1280, 853) },
});

describe("which image where", () => {
  it("the grid takes the thumb variant, with its own size", () => {
    expect(thumbSource(measured)).toEqual({ url: "http://s3.test/variants/thumb.webp?sig=1", width: 320, height: 213, kind: "thumb" });
  });

  it("the preview takes the medium variant", () => {
    expect(previewSource(measured)).toMatchObject({ url: "http://s3.test/variants/medium.webp?sig=1", width: 1280, kind: "medium" });
  });

  it("without variants (AVIF, an older server) both fall back to the original", () => {
    const avif = makePost(2, { contentType: "image/avif", width: 800, height: 600, variants: {} });
    expect(thumbSource(avif)).toEqual({ url: avif.url, width: 800, height: 600, kind: "original" });
    expect(previewSource(avif)).toEqual({ url: avif.url, width: 800, height: 600, kind: "original" });
    // An older server: no variants field at all, no size.
    const old = makePost(3);
    delete (old as Partial<typeof old>).variants;
    expect(thumbSource(old)).toEqual({ url: old.url, width: null, height: null, kind: "original" });
  });

  it("only a ready post has an image; a missing variant falls back alone", () => {
    for (const status of ["pending", "processing", "rejected"] as const) {
      expect(thumbSource(makePost(4, { status, url: null }))).toBeNull();
      expect(previewSource(makePost(4, { status, url: null }))).toBeNull();
    }
    const thumbOnly = makePost(5, { variants: { thumb: variant("thumb", 320, 200) } });
    expect(thumbSource(thumbOnly)!.kind).toBe("thumb");
    expect(previewSource(thumbOnly)!.kind).toBe("original");
    expect(thumbSource(makePost(6, { url: null }))).toBeNull();
  });
});

describe("dimensions", () => {
  it("reads W × H px, or nothing when unmeasured", () => {
    expect(dimensionsText(measured)).toBe("2400 × 1600 px");
    expect(dimensionsText(makePost(1, { width: 640, height: 400 }))).toBe("640 × 400 px");
    expect(dimensionsText(makePost(1))).toBeNull();
    expect(dimensionsText(makePost(1, { width: 640, height: null }))).toBeNull();
    expect(aspectRatio(measured)).toBe("2400 / 1600");
    expect(aspectRatio(makePost(1))).toBeNull();
  });
});

describe("the BlurHash placeholder", () => {
  it("has the hash's average colour, read from its DC term", () => {
    expect(averageColor(HASH)).toBe("rgb(151, 150, 149)");
    expect(averageColor(null)).toBeNull();
    expect(averageColor("")).toBeNull();
    expect(averageColor("not a hash!")).toBeNull();
  });

  it("is decoded small, in the image's shape", () => {
    expect(placeholderSize(2400, 1600)).toEqual([24, 16]);
    expect(placeholderSize(400, 1000)).toEqual([10, 24]);
    expect(placeholderSize(10000, 10)).toEqual([24, 1]);
    expect(placeholderSize(null, null)).toEqual([24, 24]);
    const pixels = placeholderPixels(HASH, 4, 3)!;
    expect(pixels).toHaveLength(4 * 3 * 4);
    expect([...pixels.slice(0, 4)]).toEqual([135, 164, 177, 255]);
    expect(placeholderPixels("garbage", 4, 3)).toBeNull();
  });

  it("without a canvas (here: no DOM) there is no data URL, and that is fine", () => {
    expect(placeholderUrl(measured)).toBeNull();
    expect(placeholderUrl(makePost(1))).toBeNull();
  });
});
