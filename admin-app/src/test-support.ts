// Helpers for the unit tests (not imported by the app).

import type { Post } from "./types";

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
    rejectionReason: null,
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
