// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import signInRs from "../src-tauri/src/sign_in.rs?raw";
import { isProvider, offeredProviders, PROVIDER_IDS, PROVIDERS, providerLabel, providerMark, providerSettings } from "./providers";

describe("the provider list, in one place", () => {
  it("names Google, GitHub and OIDC, each with a label, a setting and a mark", () => {
    expect(PROVIDER_IDS).toEqual(["google", "github", "oidc"]);
    expect(PROVIDERS.map((p) => providerLabel(p.id))).toEqual(["Sign in with Google", "Sign in with GitHub", "Sign in with OIDC"]);
    expect(providerSettings()).toBe("GOOGLE_CLIENT_ID, GITHUB_CLIENT_ID or OIDC_ISSUER_URL");
    expect(isProvider("github")).toBe(true);
    expect(isProvider("myspace")).toBe(false);
  });

  it("agrees with the ids the Rust side accepts (sign_in.rs PROVIDERS)", () => {
    const rust = /pub const PROVIDERS: \[&str; \d+\] = \[([^\]]*)\]/.exec(signInRs);
    expect(rust, "sign_in.rs declares PROVIDERS").not.toBeNull();
    expect([...rust![1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1])).toEqual([...PROVIDER_IDS]);
  });

  it("no other module of the UI spells a provider's id", () => {
    const sources = import.meta.glob<string>(["./**/*.ts", "!./**/*.test.ts", "!./providers.ts", "!./test-support.ts"], {
      query: "?raw",
      import: "default",
      eager: true,
    });
    expect(Object.keys(sources).length).toBeGreaterThan(10);
    for (const [path, text] of Object.entries(sources)) {
      expect(text, path).not.toMatch(/["'`](google|github|oidc)["'`]/);
    }
  });

  it("offers what the auth service lists, once each, in the app's order; everything to a service too old to say", () => {
    expect(offeredProviders(["oidc", "github", "github", "myspace"])).toEqual(["github", "oidc"]);
    expect(offeredProviders([])).toEqual([]);
    expect(offeredProviders(null)).toEqual(["google", "github", "oidc"]);
  });

  it("draws each mark as a decorative inline SVG", () => {
    for (const id of PROVIDER_IDS) {
      const mark = providerMark(id);
      expect(mark.tagName.toLowerCase()).toBe("svg");
      expect(mark.getAttribute("aria-hidden")).toBe("true");
      expect(mark.dataset.mark).toBe(id);
      expect(mark.querySelectorAll("path").length).toBeGreaterThan(0);
    }
    // Google's four colours; GitHub's and the key follow the text colour.
    expect([...providerMark("google").querySelectorAll("path")].map((p) => p.getAttribute("fill"))).toEqual([
      "#EA4335",
      "#4285F4",
      "#FBBC05",
      "#34A853",
    ]);
    expect(providerMark("github").querySelector("path")!.getAttribute("fill")).toBe("currentColor");
  });
});
