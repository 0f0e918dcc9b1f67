// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { offlineView } from "./offline";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("offline start-up", () => {
  it("names the service, tries again by itself with a growing wait, and stops once it works", async () => {
    let tries = 0;
    const retry = vi.fn(async () => {
      tries += 1;
      if (tries < 3) throw new Error("still down");
    });
    const view = offlineView({ what: "the auth service at http://localhost:8001", retry, openSettings: () => {}, firstDelay: 1000 });
    document.body.replaceChildren(view.el);
    expect(document.getElementById("offline-what")!.textContent).toBe(
      "No answer from the auth service at http://localhost:8001. Your sign-in is kept on this computer.",
    );
    expect(document.getElementById("offline-status")!.textContent).toBe("Trying again in 1 s…");
    await vi.advanceTimersByTimeAsync(1000);
    expect(retry).toHaveBeenCalledTimes(1);
    expect(document.getElementById("offline-status")!.textContent).toBe("Trying again in 2 s…");
    await vi.advanceTimersByTimeAsync(1999);
    expect(retry).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(retry).toHaveBeenCalledTimes(2);
    (document.getElementById("offline-retry") as HTMLButtonElement).click();
    await vi.advanceTimersByTimeAsync(0);
    expect(retry).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(retry).toHaveBeenCalledTimes(3);
    view.destroy();
  });
});
