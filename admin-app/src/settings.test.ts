import { describe, expect, it } from "vitest";
import { checkSettings } from "./settings";

describe("checkSettings", () => {
  it("accepts http and https base URLs, trimmed, without a trailing slash", () => {
    expect(checkSettings({ apiUrl: "  http://localhost:8080/ ", authUrl: "https://auth.example.com/base//" })).toEqual({
      ok: true,
      settings: { apiUrl: "http://localhost:8080", authUrl: "https://auth.example.com/base" },
    });
  });

  it("says which field is wrong and why", () => {
    const result = checkSettings({ apiUrl: "", authUrl: "localhost:8001" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.apiUrl).toBe("Enter the API base URL, e.g. http://localhost:8080.");
    expect(result.errors.authUrl).toMatch(/http:\/\/ or https:\/\//);
  });

  it("refuses other schemes, credentials, queries and fragments", () => {
    const bad = (apiUrl: string) => checkSettings({ apiUrl, authUrl: "http://localhost:8001" });
    expect(bad("ftp://host").ok).toBe(false);
    expect(bad("not a url").ok).toBe(false);
    expect(bad("http://user:pw@host").ok).toBe(false);
    expect(bad("http://host/?x=1").ok).toBe(false);
    expect(bad("http://host/#top").ok).toBe(false);
  });
});
