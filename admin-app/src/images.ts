// Which image of a post to show where, and the placeholder while it loads.
// The grid shows the `thumb` variant, the preview `medium`; a post without
// variants (AVIF, or an older server) shows its original. No DOM here except
// the one canvas that turns a BlurHash into a tiny PNG.

import { decode, isBlurhashValid } from "blurhash";
import type { Post } from "./types";

export type ImageSource = {
  url: string;
  /** Pixels of that image, when known (for the img's width/height attributes). */
  width: number | null;
  height: number | null;
  /** Which one it is: a variant's name, or "original". */
  kind: string;
};

function source(post: Post, variant: string): ImageSource | null {
  if (post.status !== "ready") return null;
  const v = post.variants?.[variant];
  if (v?.url) return { url: v.url, width: v.width, height: v.height, kind: variant };
  if (!post.url) return null;
  return { url: post.url, width: post.width ?? null, height: post.height ?? null, kind: "original" };
}

/** The grid's image: the `thumb` variant, else the original. */
export const thumbSource = (post: Post) => source(post, "thumb");

/** The preview's image: the `medium` variant, else the original. */
export const previewSource = (post: Post) => source(post, "medium");

/** "2400 × 1600 px", or null when the server did not measure the image. */
export function dimensionsText(post: Post): string | null {
  const { width, height } = post;
  if (!width || !height) return null;
  return `${width} × ${height} px`;
}

/** "640 / 400" for CSS `aspect-ratio`, or null when unknown. */
export function aspectRatio(post: Post): string | null {
  return post.width && post.height ? `${post.width} / ${post.height}` : null;
}

const BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

function decode83(text: string): number {
  let value = 0;
  for (const c of text) {
    const digit = BASE83.indexOf(c);
    if (digit < 0) return NaN;
    value = value * 83 + digit;
  }
  return value;
}

function valid(hash: string | null | undefined): hash is string {
  if (!hash || hash.length < 6) return false;
  try {
    return isBlurhashValid(hash).result;
  } catch {
    return false;
  }
}

/** The BlurHash's average colour ("rgb(r, g, b)"): its DC term, read without decoding. */
export function averageColor(hash: string | null | undefined): string | null {
  if (!valid(hash)) return null;
  const value = decode83(hash.slice(2, 6));
  if (!Number.isFinite(value)) return null;
  return `rgb(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255})`;
}

/** Long side of the decoded placeholder: it is blurred anyway, and scaled up by CSS. */
export const PLACEHOLDER_SIDE = 24;

/** The placeholder's pixel size for an image of that shape (square when unknown). */
export function placeholderSize(width: number | null, height: number | null): [number, number] {
  if (!width || !height) return [PLACEHOLDER_SIDE, PLACEHOLDER_SIDE];
  const scale = PLACEHOLDER_SIDE / Math.max(width, height);
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/** RGBA pixels of the BlurHash at `w`×`h`, or null when it is not a valid one. */
export function placeholderPixels(hash: string | null | undefined, w: number, h: number): Uint8ClampedArray | null {
  if (!valid(hash)) return null;
  try {
    return decode(hash, w, h);
  } catch {
    return null;
  }
}

const cache = new Map<string, string | null>();
let canvas: HTMLCanvasElement | null = null;

/**
 * The BlurHash as a tiny PNG data URL (one shared canvas, cached by hash and
 * shape), or null without a usable canvas or with an invalid hash: then the
 * average colour alone is the placeholder.
 */
export function placeholderUrl(post: Post): string | null {
  const hash = post.blurhash;
  if (!valid(hash)) return null;
  const [w, h] = placeholderSize(post.width, post.height);
  const key = `${w}x${h}:${hash}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  let url: string | null = null;
  const pixels = placeholderPixels(hash, w, h);
  try {
    canvas ??= document.createElement("canvas");
    const ctx = pixels ? canvas.getContext("2d") : null;
    if (pixels && ctx) {
      canvas.width = w;
      canvas.height = h;
      const data = ctx.createImageData(w, h);
      data.data.set(pixels);
      ctx.putImageData(data, 0, 0);
      url = canvas.toDataURL("image/png");
    }
  } catch {
    url = null;
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, url);
  return url;
}

/** Tests only: forget the cached placeholders and the canvas. */
export function resetPlaceholders(): void {
  cache.clear();
  canvas = null;
}
