// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { h } from "../dom";
import { flush } from "../test-support";
import type { LibraryStats, Usage } from "../types";
import { closeAllModals } from "./modal";
import { openUsage, quotaText, type UsageDeps } from "./usage";

const $ = (sel: string) => document.querySelector<HTMLElement>(sel);
const usage: Usage = { posts: 12, bytes: 950 * 1024 * 1024, maxPosts: 100, maxBytes: 1024 * 1024 * 1024 };
const stats: LibraryStats = {
  total: { posts: 30, bytes: 3_000_000 },
  byStatus: [
    { status: "pending", posts: 2, bytes: 1000 },
    { status: "processing", posts: 0, bytes: 0 },
    { status: "ready", posts: 27, bytes: 2_998_000 },
    { status: "rejected", posts: 1, bytes: 1000 },
  ],
  topOwners: [
    { ownerId: "7", ownerEmail: "grace@example.com", ownerName: "Grace Hopper", posts: 20, bytes: 2_000_000 },
    { ownerId: "9", ownerEmail: null, ownerName: null, posts: 9, bytes: 998_000 },
  ],
  perDay: [
    { day: "2026-12-01", posts: 10, bytes: 1_000_000 },
    { day: "2026-12-02", posts: 20, bytes: 2_000_000 },
  ],
};

function deps(over: Partial<UsageDeps> = {}): UsageDeps {
  return {
    isAdmin: false,
    getUsage: async () => usage,
    getStats: vi.fn(async () => stats),
    describe: (e) => `failed: ${(e as { message: string }).message}`,
    onUnauthorized: vi.fn(),
    ...over,
  };
}

beforeEach(() => document.body.replaceChildren(h("div", { id: "app" })));
afterEach(() => closeAllModals());

describe("usage", () => {
  it("words the quota", () => {
    expect(quotaText("posts", 3, 100)).toBe("3 of 100 posts");
    expect(quotaText("posts", 1, null)).toBe("1 post (no limit)");
    expect(quotaText("bytes", 1536, 1024 * 1024)).toBe("1.5 KB of 1 MB");
  });

  it("shows the user's own usage against the quota, with a meter that warns near the end", async () => {
    const d = deps();
    openUsage(d);
    await flush();
    expect($("#usage-posts")!.textContent).toBe("12 of 100 posts");
    expect($("#usage-bytes")!.textContent).toContain(" of ");
    const bars = document.querySelectorAll("progress");
    expect(bars).toHaveLength(2);
    expect(bars[1]!.classList.contains("usage-high")).toBe(true);
    expect($("#stats-total")).toBeNull();
    expect(d.getStats).not.toHaveBeenCalled();
  });

  it("shows admins the library: totals, by status, the biggest owners, uploads a day", async () => {
    openUsage(deps({ isAdmin: true, getUsage: async () => ({ posts: 3, bytes: 10, maxPosts: null, maxBytes: null }) }));
    await flush();
    expect($("#usage-posts")!.textContent).toBe("3 posts (no limit)");
    expect(document.querySelectorAll("progress")).toHaveLength(0);
    expect($("#stats-total")!.textContent).toBe("30 posts · 2.9 MB");
    const statuses = [...document.querySelectorAll("#stats-by-status tbody tr")].map((r) => r.firstElementChild!.textContent);
    expect(statuses).toEqual(["Pending", "Processing", "Ready", "Rejected"]);
    const owners = [...document.querySelectorAll("#stats-top-owners tbody tr")].map((r) => r.firstElementChild!.textContent);
    expect(owners).toEqual(["Grace Hopper", "user 9"]);
    const bars = [...document.querySelectorAll<HTMLElement>("#stats-per-day .per-day-bar")].map((b) => b.style.height);
    expect(bars).toEqual(["24px", "48px"]);
  });

  it("says what failed in place, and a lost session goes back to sign-in", async () => {
    const onUnauthorized = vi.fn();
    openUsage(
      deps({
        isAdmin: true,
        getUsage: async () => Promise.reject({ kind: "network", message: "down" }),
        getStats: async () => Promise.reject({ kind: "unauthorized", message: "" }),
        onUnauthorized,
      }),
    );
    await flush();
    expect($("#usage .form-error")!.textContent).toBe("failed: down");
    expect(onUnauthorized).toHaveBeenCalled();
  });
});
