// Start-up without the services: the session stays (nothing is forgotten),
// the screen names what could not be reached, and it tries again by itself,
// backing off from 2 s to 30 s, or at once on "Try again".

import { h, icon } from "../dom";

export type OfflineDeps = {
  /** The service that did not answer, e.g. "the auth service at http://localhost:8001". */
  what: string;
  /** One more try: resolves when it worked (the app then moves on), rejects when not. */
  retry: () => Promise<void>;
  openSettings: () => void;
  /** First wait, in ms (tests shorten it). */
  firstDelay?: number;
};

export const MAX_DELAY_MS = 30_000;

export function offlineView(deps: OfflineDeps): { el: HTMLElement; destroy(): void } {
  let delay = deps.firstDelay ?? 2000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let destroyed = false;
  let trying = false;
  const status = h("p", { id: "offline-status", class: "muted", role: "status" });
  const again = h("button", { type: "button", class: "button primary", id: "offline-retry" }, "Try again");
  const settings = h("button", { type: "button", class: "button", id: "offline-settings" }, "Settings…");

  const schedule = () => {
    const due = Date.now() + delay;
    const tick = () => {
      status.textContent = `Trying again in ${Math.max(0, Math.ceil((due - Date.now()) / 1000))} s…`;
    };
    tick();
    clearInterval(ticker);
    ticker = setInterval(tick, 1000);
    timer = setTimeout(() => void attempt(), delay);
    delay = Math.min(MAX_DELAY_MS, delay * 2);
  };
  const attempt = async () => {
    if (trying || destroyed) return;
    trying = true;
    clearTimeout(timer);
    clearInterval(ticker);
    again.disabled = true;
    status.textContent = "Trying…";
    try {
      await deps.retry();
    } catch {
      if (!destroyed) schedule();
    } finally {
      trying = false;
      again.disabled = false;
    }
  };
  again.addEventListener("click", () => void attempt());
  settings.addEventListener("click", () => deps.openSettings());
  schedule();

  const el = h(
    "main",
    { class: "signin", id: "offline" },
    h(
      "section",
      { class: "signin-card", "aria-labelledby": "offline-title" },
      h("div", { class: "brand-mark" }, icon("image", "icon brand-icon"), h("span", null, "imgup admin")),
      h("h1", { id: "offline-title" }, "Can't reach imgup"),
      h("p", { class: "lead", id: "offline-what" }, `No answer from ${deps.what}. Your sign-in is kept on this computer.`),
      status,
      h("div", { class: "modal-actions start" }, again, settings),
    ),
  );
  return {
    el,
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      clearInterval(ticker);
    },
  };
}
