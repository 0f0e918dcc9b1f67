// Helpers for the unit tests (not imported by the app).

import type { Policy, Post } from "./types";

export function makePost(id: number, over: Partial<Post> = {}): Post {
  return {
    id,
    objectKey: `uploads/${String(id).padStart(32, "0")}.png`,
    status: "ready",
    title: null,
    filename: `image-${id}.png`,
    contentType: "image/png",
    size: 1000 + id,
    ownerId: "1",
    ownerEmail: null,
    ownerName: null,
    rejectionReason: null,
    rejectionCode: null,
    width: null,
    height: null,
    blurhash: null,
    variants: {},
    createdAt: "2026-11-26T12:00:00Z",
    updatedAt: "2026-11-26T12:00:00Z",
    url: `http://s3.test/uploads/${id}.png?sig=abc`,
    expiresIn: 900,
    ...over,
  };
}

/** A promise with its resolve/reject outside, to decide when a fake call ends. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run. */
export async function flush(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

/** A policy with the server's default image limits and variants. */
export function makePolicy(maxBytes: number, allowedTypes: string[]): Policy {
  return {
    maxBytes,
    allowedTypes,
    maxImageWidth: 10000,
    maxImageHeight: 10000,
    maxImagePixels: 40_000_000,
    maxAnimationFrames: 100,
    variants: { thumb: 320, medium: 1280 },
    variantType: "image/webp",
  };
}

/** BlurHash's own example hash (average colour rgb(151, 150, 149)). */
export const BLURHASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj";

/** A ready post measured by the server, with both variants. */
export function makeMeasuredPost(id: number, over: Partial<Post> = {}): Post {
  return makePost(id, {
    width: 640,
    height: 400,
    blurhash: BLURHASH,
    variants: {
      thumb: { url: `http://s3.test/v/${id}-thumb.webp?sig=abc`, width: 320, height: 200, contentType: "image/webp" },
      medium: { url: `http://s3.test/v/${id}-medium.webp?sig=abc`, width: 640, height: 400, contentType: "image/webp" },
    },
    ...over,
  });
}
