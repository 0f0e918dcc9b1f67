// Client-side checks against the server's upload policy, before anything is sent.
// The server checks the same things again (and the bytes); this only spares a
// round trip and says what is wrong at once.

import type { Policy } from "./types";
import { formatBytes, listWithOr, typeLabel } from "./format";

/** Extensions the API knows, with the one type each must agree with. */
const TYPE_BY_EXTENSION: Record<string, string> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  avif: "image/avif",
  gif: "image/gif",
};

/** Non-standard names some systems report for a standard type. */
const TYPE_ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
};

/** Types that say nothing about the file: infer from the name instead. */
const UNKNOWN_TYPES = new Set(["", "application/octet-stream"]);

/** "Cat.Photo.JPG" → "jpg"; "" when there is none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1) return "";
  return name.slice(dot + 1).toLowerCase();
}

/** The type the extension names, or "" when we know no such extension. */
export function typeFromExtension(name: string): string {
  return TYPE_BY_EXTENSION[extensionOf(name)] ?? "";
}

/** The content type to declare: the browser's when it knows one, else inferred from the extension. */
export function contentTypeFor(file: { name: string; type: string }): string {
  const given = file.type.trim().toLowerCase();
  if (UNKNOWN_TYPES.has(given)) return typeFromExtension(file.name);
  return TYPE_ALIASES[given] ?? given;
}

export type FileLike = { name: string; size: number; type: string };

export type CheckProblem = "empty" | "tooLarge" | "unsupportedType" | "typeMismatch";
export type CheckResult =
  | { ok: true; contentType: string }
  | { ok: false; problem: CheckProblem; message: string };

export function describeAllowed(policy: Policy): string {
  return listWithOr(policy.allowedTypes.map(typeLabel));
}

/** Whether the API would take this file, judged by its name, type and size. */
export function checkFile(file: FileLike, policy: Policy): CheckResult {
  const contentType = contentTypeFor(file);
  const allowed = policy.allowedTypes.map((t) => t.toLowerCase());
  const ext = extensionOf(file.name);
  const extType = TYPE_BY_EXTENSION[ext];
  const youCan = ` You can upload ${describeAllowed(policy)}.`;

  if (!contentType || !allowed.includes(contentType)) {
    const message = contentType.startsWith("image/")
      ? `${file.name}: imgup doesn't accept ${typeLabel(contentType)} images.${youCan}`
      : `${file.name} isn't an image imgup accepts.${youCan}`;
    return { ok: false, problem: "unsupportedType", message };
  }
  if (!extType || !allowed.includes(extType)) {
    const shown = ext ? `“.${ext}”` : "no extension";
    return {
      ok: false,
      problem: "unsupportedType",
      message: `${file.name} has ${shown} in its name; imgup needs the name to end in the image's extension.${youCan}`,
    };
  }
  if (extType !== contentType) {
    return {
      ok: false,
      problem: "typeMismatch",
      message: `${file.name} is a ${typeLabel(contentType)} image but its name ends in .${ext}. Rename it to match its type.`,
    };
  }
  if (file.size <= 0) {
    return { ok: false, problem: "empty", message: `${file.name} is empty.` };
  }
  if (file.size > policy.maxBytes) {
    return {
      ok: false,
      problem: "tooLarge",
      message: `${file.name} is larger than the ${formatBytes(policy.maxBytes)} limit (it is ${formatBytes(file.size)}).`,
    };
  }
  return { ok: true, contentType };
}

/** The file picker's `accept`: the allowed types and their extensions. */
export function acceptAttribute(policy: Policy): string {
  const parts: string[] = [];
  for (const type of policy.allowedTypes) {
    const t = type.toLowerCase();
    parts.push(t);
    for (const [ext, extType] of Object.entries(TYPE_BY_EXTENSION)) {
      if (extType === t) parts.push(`.${ext}`);
    }
  }
  return parts.join(",");
}
