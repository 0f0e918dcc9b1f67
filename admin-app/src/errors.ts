// Turn what a command rejected with into words a person understands.

import { ERROR_KINDS, type AppError, type ErrorKind } from "./types";
import { formatBytes, listWithOr, typeLabel } from "./format";

/** An AppError, or something else that went wrong in the UI or in Tauri itself. */
export type UiError = { kind: ErrorKind | "unexpected"; message: string; code?: string };

export function isAppError(value: unknown): value is AppError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.kind === "string" && (ERROR_KINDS as readonly string[]).includes(v.kind) && typeof v.message === "string";
}

/**
 * Whatever a promise rejected with, as a UiError. Commands reject with AppError;
 * Tauri itself rejects with a string (e.g. an unknown command), our own code with an Error.
 */
export function toUiError(value: unknown): UiError {
  if (isAppError(value)) return value;
  if (typeof value === "string") return { kind: "unexpected", message: value };
  if (value instanceof Error) return { kind: "unexpected", message: value.message };
  if (typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string") {
    return { kind: "unexpected", message: (value as { message: string }).message };
  }
  return { kind: "unexpected", message: String(value) };
}

/** What the person was doing when it failed: it chooses the words. */
export type Action =
  | "boot"
  | "signIn"
  | "testToken"
  | "signOut"
  | "settings"
  | "load"
  | "preview"
  | "upload"
  | "download"
  | "openOriginal"
  | "showInFolder"
  | "retitle"
  | "delete";

export type ErrorContext = {
  action?: Action;
  filename?: string;
  maxBytes?: number;
  allowedTypes?: string[];
  apiUrl?: string;
  authUrl?: string;
};

/** "detail." with the trailing stop added once; "" stays "". */
function sentence(text: string): string {
  const t = text.trim();
  if (!t) return "";
  return /[.!?…]$/.test(t) ? t : `${t}.`;
}

/** " (detail)" or "". */
function detail(message: string): string {
  const t = message.trim().replace(/[.]$/, "");
  return t ? ` (${t})` : "";
}

function at(url: string | undefined): string {
  return url ? ` at ${url}` : "";
}

const AUTH_ACTIONS: ReadonlySet<Action> = new Set(["signIn", "testToken"]);

export function describeError(error: unknown, ctx: ErrorContext = {}): string {
  const err = toUiError(error);
  const action = ctx.action;
  const file = ctx.filename;
  if (action === "openOriginal" && (err.kind === "server" || err.kind === "unexpected" || err.kind === "invalidInput")) {
    return `Couldn't open the original in your browser${detail(err.message)}.`;
  }
  if (action === "showInFolder") return `Couldn't show the file in its folder${detail(err.message)}.`;
  // The service's own name of the error says more than the status.
  if (err.code === "quota_exceeded") {
    return `${file ?? "This upload"} would go past your quota${detail(err.message)}. Delete some images, or ask an admin for more room.`;
  }
  if (err.code === "rate_limited") {
    return `Too many uploads started this minute${detail(err.message)}. Try again shortly.`;
  }
  if (err.code === "user_disabled") return "This account has been disabled. Ask an admin to enable it.";
  switch (err.kind) {
    case "unauthorized":
      return "Your session has expired. Please sign in again.";
    case "forbidden":
      if (action === "delete") return "You can't delete this image: only its owner or an admin can.";
      return "You don't have permission to do that.";
    case "notFound":
      if (action === "testToken") {
        return `Test tokens are only available against a development deployment. The auth service${at(ctx.authUrl)} doesn't offer them.`;
      }
      if (action === "signIn") return `The auth service${at(ctx.authUrl)} doesn't offer this way of signing in.`;
      if (action === "load") return `The imgup API${at(ctx.apiUrl)} has no posts list. Check the API URL in Settings.`;
      return "This image no longer exists. Someone may have deleted it.";
    case "tooLarge": {
      const limit = ctx.maxBytes ? `the ${formatBytes(ctx.maxBytes)} limit` : "the upload limit";
      return `${file ?? "The file"} is larger than ${limit}.`;
    }
    case "unsupportedType": {
      const allowed = ctx.allowedTypes?.length ? ` You can upload ${listWithOr(ctx.allowedTypes.map(typeLabel))}.` : "";
      return `${file ?? "This file"} isn't an image type imgup accepts.${allowed}`;
    }
    case "rejected": {
      const reason = sentence(err.message);
      return reason ? `The server checked the file and refused it: ${reason}` : "The server checked the file and refused it.";
    }
    case "network":
      if (action && AUTH_ACTIONS.has(action)) return `Can't reach the imgup auth service${at(ctx.authUrl)}. Is it running?`;
      return `Can't reach the imgup API${at(ctx.apiUrl)}. Is it running?`;
    case "server":
      return `The imgup server ran into a problem${detail(err.message)}. Please try again in a moment.`;
    case "invalidInput":
      if (action === "settings") return sentence(err.message) || "Please check the settings.";
      return `That request wasn't accepted${detail(err.message)}.`;
    case "signInFailed":
      return err.message.trim() ? `Signing in didn't work: ${sentence(err.message)}` : "Signing in didn't work.";
    case "cancelled":
      return action === "signIn" || action === "testToken" ? "Sign-in was cancelled." : "Cancelled.";
    case "storage":
      if (action === "download") return `Couldn't save the file${detail(err.message)}.`;
      if (action && (AUTH_ACTIONS.has(action) || action === "signOut" || action === "boot")) {
        return `Couldn't keep your sign-in on this computer${detail(err.message)}.`;
      }
      return `Couldn't read or write a file on this computer${detail(err.message)}.`;
    case "unexpected":
      return `Something went wrong${detail(err.message)}.`;
  }
}

export function isKind(error: unknown, kind: UiError["kind"]): boolean {
  return toUiError(error).kind === kind;
}

/** Service codes that mean "not now": the same request may work in a moment. */
const PASSING_CODES: ReadonlySet<string> = new Set([
  "rate_limited",
  "busy",
  "processing",
  "storage_unavailable",
  "database_unavailable",
  "provider_unavailable",
  "internal",
  "not_uploaded",
  "conflict",
]);
/** Service codes that are the final word on this file or this person. */
const FINAL_CODES: ReadonlySet<string> = new Set([
  "quota_exceeded",
  "file_too_large",
  "payload_too_large",
  "unsupported_type",
  "unsupported_media_type",
  "empty_file",
  "invalid_filename",
  "user_disabled",
  "forbidden",
]);
const PASSING_KINDS: ReadonlySet<UiError["kind"]> = new Set(["network", "server", "unexpected", "cancelled"]);

/**
 * Whether sending the same thing again may work: a failure on the way (the
 * network, a 5xx, `rate_limited`, `busy`, `storage_unavailable`, …), not an
 * answer about the file or the person (too large, unsupported type,
 * `quota_exceeded`, an image the server checked and rejected, forbidden).
 */
export function isRetryable(error: unknown): boolean {
  const err = toUiError(error);
  if (err.code && PASSING_CODES.has(err.code)) return true;
  if (err.code && FINAL_CODES.has(err.code)) return false;
  return PASSING_KINDS.has(err.kind);
}
