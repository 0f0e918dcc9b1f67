import { describe, expect, it } from "vitest";
import { formatBytes, formatDateTime, formatWhen, listWithOr, typeLabel } from "./format";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1, "1 B"],
    [1023, "1023 B"],
    [1024, "1 KB"],
    [1536, "1.5 KB"],
    [1_258_291, "1.2 MB"],
    [10 * 1024 * 1024, "10 MB"],
    [13_001_000, "12.4 MB"],
    [150 * 1024 * 1024, "150 MB"],
    [1024 ** 3, "1 GB"],
  ])("%d bytes → %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it("moves to the next unit instead of showing 1024 of a smaller one", () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe("1 MB");
  });

  it("shows a dash for nonsense", () => {
    expect(formatBytes(-1)).toBe("—");
    expect(formatBytes(Number.NaN)).toBe("—");
  });
});

describe("dates", () => {
  const utc = { locale: "en-GB", timeZone: "UTC" };

  it("formats the full date and time for metadata", () => {
    expect(formatDateTime("2026-11-26T15:48:09Z", utc)).toBe("26 Nov 2026, 15:48");
  });

  it("says recent times in words and older ones as a date", () => {
    const now = new Date("2026-11-26T12:00:00Z");
    expect(formatWhen("2026-11-26T11:59:30Z", now, utc)).toBe("just now");
    expect(formatWhen("2026-11-26T11:55:00Z", now, utc)).toBe("5 min ago");
    expect(formatWhen("2026-11-26T09:00:00Z", now, utc)).toBe("3 h ago");
    expect(formatWhen("2026-11-20T09:00:00Z", now, utc)).toBe("20 Nov 2026");
  });

  it("does not claim a time in the future is 'ago'", () => {
    const now = new Date("2026-11-26T12:00:00Z");
    expect(formatWhen("2026-11-27T12:00:00Z", now, utc)).toBe("27 Nov 2026");
  });

  it("shows a dash for a date it cannot read", () => {
    expect(formatDateTime("not a date")).toBe("—");
    expect(formatWhen("")).toBe("—");
  });
});

describe("typeLabel and listWithOr", () => {
  it("names the image types the way people know them", () => {
    expect(typeLabel("image/jpeg")).toBe("JPEG");
    expect(typeLabel("image/webp")).toBe("WebP");
    expect(typeLabel("IMAGE/PNG")).toBe("PNG");
    expect(typeLabel("image/bmp")).toBe("BMP");
  });

  it("joins a list with commas and a final 'or'", () => {
    expect(listWithOr([])).toBe("");
    expect(listWithOr(["JPEG"])).toBe("JPEG");
    expect(listWithOr(["JPEG", "PNG"])).toBe("JPEG or PNG");
    expect(listWithOr(["JPEG", "PNG", "WebP", "AVIF"])).toBe("JPEG, PNG, WebP or AVIF");
  });
});
