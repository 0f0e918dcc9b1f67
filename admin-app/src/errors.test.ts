import { describe, expect, it } from "vitest";
import { describeError, isAppError, isRetryable, toUiError, type ErrorContext } from "./errors";
import { ERROR_KINDS, type AppError, type ErrorKind } from "./types";

const err = (kind: ErrorKind, message = ""): AppError => ({ kind, message });
const urls: ErrorContext = { apiUrl: "http://localhost:8080", authUrl: "http://localhost:8001" };

describe("describeError: every kind in words", () => {
  it("unauthorized asks to sign in again", () => {
    expect(describeError(err("unauthorized", "jwt expired"), { action: "load" })).toBe(
      "Your session has expired. Please sign in again.",
    );
  });

  it("forbidden says who may, for a delete", () => {
    expect(describeError(err("forbidden"), { action: "delete" })).toBe(
      "You can't delete this image: only its owner or an admin can.",
    );
    expect(describeError(err("forbidden"))).toBe("You don't have permission to do that.");
  });

  it("notFound on a test token says it needs a development deployment", () => {
    expect(describeError(err("notFound", "404"), { ...urls, action: "testToken" })).toBe(
      "Test tokens are only available against a development deployment. The auth service at http://localhost:8001 doesn't offer them.",
    );
  });

  it("notFound on an image says it is gone", () => {
    expect(describeError(err("notFound"), { action: "preview" })).toBe(
      "This image no longer exists. Someone may have deleted it.",
    );
  });

  it("notFound on the list points at the API URL", () => {
    expect(describeError(err("notFound"), { ...urls, action: "load" })).toContain("Check the API URL in Settings");
  });

  it("tooLarge names the file and the limit", () => {
    expect(describeError(err("tooLarge", "File too large"), { filename: "big.png", maxBytes: 10 * 1024 * 1024 })).toBe(
      "big.png is larger than the 10 MB limit.",
    );
    expect(describeError(err("tooLarge"))).toBe("The file is larger than the upload limit.");
  });

  it("unsupportedType names the file and what is allowed", () => {
    expect(
      describeError(err("unsupportedType"), { filename: "a.bmp", allowedTypes: ["image/jpeg", "image/png"] }),
    ).toBe("a.bmp isn't an image type imgup accepts. You can upload JPEG or PNG.");
  });

  it("rejected gives the server's reason", () => {
    expect(describeError(err("rejected", "the first bytes are not a PNG image"))).toBe(
      "The server checked the file and refused it: the first bytes are not a PNG image.",
    );
    expect(describeError(err("rejected"))).toBe("The server checked the file and refused it.");
  });

  it("network names the service and its URL", () => {
    expect(describeError(err("network", "connection refused"), { ...urls, action: "load" })).toBe(
      "Can't reach the imgup API at http://localhost:8080. Is it running?",
    );
    expect(describeError(err("network"), { ...urls, action: "signIn" })).toBe(
      "Can't reach the imgup auth service at http://localhost:8001. Is it running?",
    );
    expect(describeError(err("network"))).toBe("Can't reach the imgup API. Is it running?");
  });

  it("server says to try again, with the detail", () => {
    expect(describeError(err("server", "database unavailable"))).toBe(
      "The imgup server ran into a problem (database unavailable). Please try again in a moment.",
    );
  });

  it("invalidInput in settings shows the detail as a sentence", () => {
    expect(describeError(err("invalidInput", "apiUrl must be an http(s) URL"), { action: "settings" })).toBe(
      "apiUrl must be an http(s) URL.",
    );
    expect(describeError(err("invalidInput", "limit must be between 1 and 100"), { action: "load" })).toBe(
      "That request wasn't accepted (limit must be between 1 and 100).",
    );
  });

  it("signInFailed gives the reason", () => {
    expect(describeError(err("signInFailed", "state mismatch"))).toBe("Signing in didn't work: state mismatch.");
    expect(describeError(err("signInFailed"))).toBe("Signing in didn't work.");
  });

  it("cancelled is plain", () => {
    expect(describeError(err("cancelled"), { action: "signIn" })).toBe("Sign-in was cancelled.");
    expect(describeError(err("cancelled"), { action: "upload" })).toBe("Cancelled.");
  });

  it("storage says what could not be kept", () => {
    expect(describeError(err("storage", "disk full"), { action: "download" })).toBe("Couldn't save the file (disk full).");
    expect(describeError(err("storage", "keyring locked"), { action: "testToken" })).toBe(
      "Couldn't keep your sign-in on this computer (keyring locked).",
    );
  });

  it("has its own words for every kind of the contract, as a sentence", () => {
    const texts = ERROR_KINDS.map((kind) => describeError(err(kind, "detail"), { ...urls, filename: "Photo.png" }));
    for (const [i, text] of texts.entries()) {
      expect(text, ERROR_KINDS[i]).toMatch(/^[A-Z].{8,}[.?]$/);
      expect(text, ERROR_KINDS[i]).not.toMatch(/notFound|tooLarge|unsupportedType|invalidInput|signInFailed/);
    }
    expect(new Set(texts).size).toBe(ERROR_KINDS.length);
  });
});

describe("toUiError", () => {
  it("keeps an AppError as it is", () => {
    expect(toUiError(err("network", "x"))).toEqual({ kind: "network", message: "x" });
    expect(isAppError(err("storage", "y"))).toBe(true);
  });

  it("treats a Tauri string error or a thrown Error as unexpected, with its text", () => {
    expect(toUiError("command upload not found")).toEqual({ kind: "unexpected", message: "command upload not found" });
    expect(toUiError(new TypeError("boom"))).toEqual({ kind: "unexpected", message: "boom" });
    expect(describeError("command upload not found")).toBe("Something went wrong (command upload not found).");
  });

  it("does not trust an object with an unknown kind", () => {
    expect(isAppError({ kind: "mystery", message: "m" })).toBe(false);
    expect(toUiError({ kind: "mystery", message: "m" })).toEqual({ kind: "unexpected", message: "m" });
    expect(toUiError(null)).toEqual({ kind: "unexpected", message: "null" });
  });
});

describe("describeError reads the service's code", () => {
  it("a quota refusal is not a permission problem", () => {
    const text = describeError(
      { kind: "forbidden", message: "you keep 100 posts", code: "quota_exceeded" },
      { action: "upload", filename: "cat.png" },
    );
    expect(text).toBe("cat.png would go past your quota (you keep 100 posts). Delete some images, or ask an admin for more room.");
  });

  it("a rate limit says to wait", () => {
    const text = describeError({ kind: "invalidInput", message: "too many requests; try again in 12 s", code: "rate_limited" }, { action: "upload" });
    expect(text).toBe("Too many uploads started this minute (too many requests; try again in 12 s). Try again shortly.");
  });

  it("a disabled account says so", () => {
    expect(describeError({ kind: "forbidden", message: "user disabled", code: "user_disabled" }, { action: "testToken" })).toBe(
      "This account has been disabled. Ask an admin to enable it.",
    );
  });
});

describe("isRetryable: worth sending again, or a final answer", () => {
  const e = (kind: string, code?: string) => ({ kind, message: "m", ...(code ? { code } : {}) });

  it("retries what failed on the way", () => {
    for (const failure of [
      e("network"),
      e("server"),
      e("server", "busy"),
      e("server", "storage_unavailable"),
      e("server", "database_unavailable"),
      e("invalidInput", "rate_limited"), // 429
      e("unexpected"),
      "the IPC bridge broke",
    ]) {
      expect(isRetryable(failure), JSON.stringify(failure)).toBe(true);
    }
  });

  it("does not retry refusals and final answers", () => {
    for (const failure of [
      e("tooLarge"),
      e("tooLarge", "file_too_large"),
      e("unsupportedType", "unsupported_type"),
      e("forbidden", "quota_exceeded"),
      e("forbidden"),
      e("rejected", "corrupt"),
      e("rejected", "too_many_pixels"),
      e("invalidInput", "invalid_filename"),
      e("unauthorized"),
      e("notFound"),
    ]) {
      expect(isRetryable(failure), JSON.stringify(failure)).toBe(false);
    }
  });
});
