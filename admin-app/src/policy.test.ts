import { describe, expect, it } from "vitest";
import { acceptAttribute, checkFile, contentTypeFor, extensionOf } from "./policy";
import type { Policy } from "./types";
import { makePolicy } from "./test-support";

const MB = 1024 * 1024;
const policy: Policy = makePolicy(10 * MB, ["image/jpeg", "image/png", "image/webp", "image/avif"]);
const withGif: Policy = { ...policy, allowedTypes: [...policy.allowedTypes, "image/gif"] };
const file = (name: string, type: string, size = 1000) => ({ name, type, size });

describe("contentTypeFor", () => {
  it("uses the type the browser gives", () => {
    expect(contentTypeFor(file("cat.png", "image/png"))).toBe("image/png");
  });

  it("infers the type from the extension when the browser gives none", () => {
    expect(contentTypeFor(file("cat.JPG", ""))).toBe("image/jpeg");
    expect(contentTypeFor(file("cat.jpeg", ""))).toBe("image/jpeg");
    expect(contentTypeFor(file("cat.avif", "application/octet-stream"))).toBe("image/avif");
    expect(contentTypeFor(file("cat.webp", ""))).toBe("image/webp");
    expect(contentTypeFor(file("cat.gif", ""))).toBe("image/gif");
    expect(contentTypeFor(file("notes.txt", ""))).toBe("");
  });

  it("reads non-standard JPEG names as image/jpeg", () => {
    expect(contentTypeFor(file("cat.jpg", "image/jpg"))).toBe("image/jpeg");
  });

  it("takes the last extension, in any case", () => {
    expect(extensionOf("holiday.photo.JPEG")).toBe("jpeg");
    expect(extensionOf("README")).toBe("");
    expect(extensionOf(".png")).toBe("");
  });
});

describe("checkFile", () => {
  it("accepts an allowed image within the limit, the limit itself included", () => {
    expect(checkFile(file("cat.png", "image/png", 10 * MB), policy)).toEqual({ ok: true, contentType: "image/png" });
    expect(checkFile(file("cat.jpg", "", 123), policy)).toEqual({ ok: true, contentType: "image/jpeg" });
  });

  it("refuses a file over the limit and says the limit", () => {
    const result = checkFile(file("big.png", "image/png", 12 * MB), policy);
    expect(result).toMatchObject({ ok: false, problem: "tooLarge" });
    expect(!result.ok && result.message).toBe("big.png is larger than the 10 MB limit (it is 12 MB).");
    expect(checkFile(file("big.png", "image/png", 10 * MB + 1), policy).ok).toBe(false);
  });

  it("refuses an empty file", () => {
    expect(checkFile(file("zero.png", "image/png", 0), policy)).toMatchObject({ ok: false, problem: "empty" });
  });

  it("refuses a type imgup does not take and lists what it does", () => {
    const result = checkFile(file("scan.bmp", "image/bmp"), policy);
    expect(result).toMatchObject({ ok: false, problem: "unsupportedType" });
    expect(!result.ok && result.message).toBe(
      "scan.bmp: imgup doesn't accept BMP images. You can upload JPEG, PNG, WebP or AVIF.",
    );
    const text = checkFile(file("notes.txt", "text/plain"), policy);
    expect(text).toMatchObject({ ok: false, problem: "unsupportedType" });
    expect(!text.ok && text.message).toBe("notes.txt isn't an image imgup accepts. You can upload JPEG, PNG, WebP or AVIF.");
    expect(checkFile(file("notes", ""), policy)).toMatchObject({ ok: false, problem: "unsupportedType" });
  });

  it("refuses an allowed type whose name lacks the extension (the API needs it)", () => {
    expect(checkFile(file("photo", "image/png"), policy)).toMatchObject({ ok: false, problem: "unsupportedType" });
    expect(checkFile(file("photo.bmp", "image/png"), policy)).toMatchObject({ ok: false, problem: "unsupportedType" });
  });

  it("refuses a file whose extension disagrees with its type", () => {
    const result = checkFile(file("cat.jpg", "image/png"), policy);
    expect(result).toMatchObject({ ok: false, problem: "typeMismatch" });
    expect(!result.ok && result.message).toContain("PNG image but its name ends in .jpg");
  });

  it("takes GIF only when the policy allows it", () => {
    expect(checkFile(file("anim.gif", "image/gif"), policy)).toMatchObject({ ok: false, problem: "unsupportedType" });
    expect(checkFile(file("anim.gif", "image/gif"), withGif)).toEqual({ ok: true, contentType: "image/gif" });
    expect(checkFile(file("anim.gif", ""), withGif)).toEqual({ ok: true, contentType: "image/gif" });
  });

  it("checks the type before the size, so a huge unsupported file is called unsupported", () => {
    expect(checkFile(file("film.mp4", "video/mp4", 500 * MB), policy)).toMatchObject({ problem: "unsupportedType" });
  });
});

describe("acceptAttribute", () => {
  it("lists the allowed types and their extensions for the file picker", () => {
    expect(acceptAttribute(policy)).toBe("image/jpeg,.jpg,.jpeg,image/png,.png,image/webp,.webp,image/avif,.avif");
    expect(acceptAttribute(withGif)).toContain("image/gif,.gif");
    expect(acceptAttribute(policy)).not.toContain("gif");
  });
});
