// The sign-in screen: browser sign-in with the providers the auth service has
// configured, and the development test token only where it is open.

import { h, icon } from "../dom";
import { isKind, type Action } from "../errors";
import { offeredProviders, PROVIDERS, providerLabel, providerMark, providerSettings, type Provider } from "../providers";
import type { Session, Settings, SignInOptions } from "../types";

export type SignInDeps = {
  settings: Settings | null;
  /** What the auth service offers (`GET /auth/providers`). */
  loadOptions: () => Promise<SignInOptions>;
  signInBrowser: (provider: Provider) => Promise<Session>;
  signInCancel: () => Promise<unknown>;
  signInTestToken: (email: string) => Promise<Session>;
  onSignedIn: (session: Session) => void;
  /** Shows the error in the banner. */
  report: (error: unknown, action: Action) => void;
  clearError: () => void;
  openSettings: () => void;
};

export type View = { el: HTMLElement; destroy(): void };

export function signInView(deps: SignInDeps): View {
  let waiting = false;
  let destroyed = false;

  // The configured ones first (before the test token), each with its mark.
  const providerButtons = PROVIDERS.map((p) =>
    h(
      "button",
      { type: "button", class: "button provider", "data-provider": p.id, hidden: true },
      providerMark(p.id),
      h("span", null, providerLabel(p.id)),
    ),
  );
  const optionsLine = h("p", { id: "sign-in-options", class: "hint", role: "status" }, "Checking how you can sign in…");
  const retry = h("button", { type: "button", class: "button", id: "sign-in-retry", hidden: true }, "Try again");
  const cancelButton = h("button", { type: "button", class: "button", id: "sign-in-cancel" }, "Cancel");
  const waitingBox = h(
    "div",
    { class: "waiting", role: "status", hidden: true },
    h("span", { class: "spinner", "aria-hidden": "true" }),
    h("p", null, "Finish signing in in your browser…"),
    cancelButton,
  );

  const email = h("input", {
    id: "test-token-email",
    name: "email",
    type: "email",
    autocomplete: "email",
    placeholder: "you@example.com",
    required: true,
  });
  const tokenButton = h("button", { type: "submit", class: "button", id: "test-token-sign-in" }, "Sign in");
  const tokenForm = h(
    "form",
    { class: "test-token", "aria-labelledby": "test-token-title", hidden: true },
    h("h2", { id: "test-token-title" }, "Development: test token"),
    h("p", { class: "hint" }, "Only a development deployment of imgup-auth issues these."),
    h("div", { class: "field inline" }, h("label", { for: "test-token-email" }, "Email"), email, tokenButton),
  );

  const setBusy = (busy: boolean) => {
    for (const b of providerButtons) b.disabled = busy;
    tokenButton.disabled = busy;
  };

  providerButtons.forEach((button, i) => {
    const provider: Provider = PROVIDERS[i]!.id;
    button.addEventListener("click", async () => {
      if (waiting) return;
      deps.clearError();
      waiting = true;
      setBusy(true);
      waitingBox.hidden = false;
      cancelButton.focus();
      try {
        const session = await deps.signInBrowser(provider);
        if (!destroyed) deps.onSignedIn(session);
      } catch (e) {
        if (!destroyed && !isKind(e, "cancelled")) deps.report(e, "signIn");
      } finally {
        waiting = false;
        if (!destroyed) {
          setBusy(false);
          waitingBox.hidden = true;
          cancelButton.disabled = false;
          if (document.activeElement === cancelButton || document.activeElement === document.body) button.focus();
        }
      }
    });
  });

  cancelButton.addEventListener("click", async () => {
    cancelButton.disabled = true;
    try {
      await deps.signInCancel();
    } catch (e) {
      cancelButton.disabled = false;
      deps.report(e, "signIn");
    }
  });

  tokenForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!email.reportValidity()) return;
    deps.clearError();
    setBusy(true);
    let failed = false;
    tokenButton.textContent = "Signing in…";
    try {
      const session = await deps.signInTestToken(email.value.trim());
      if (!destroyed) deps.onSignedIn(session);
    } catch (e) {
      if (!destroyed) deps.report(e, "testToken");
      failed = true;
    } finally {
      if (!destroyed) {
        setBusy(false);
        tokenButton.textContent = "Sign in";
        if (failed) email.focus(); // the disabled button lost focus; put it where a fix would go
      }
    }
  });

  const separator = h("hr", { hidden: true });
  const where = deps.settings ? ` at ${deps.settings.authUrl}` : "";
  /** Shows what `options` offers; `null`: all of it (an auth service too old to say). */
  const offer = (options: SignInOptions | null) => {
    const offered = new Set<string>(offeredProviders(options ? options.providers : null));
    PROVIDERS.forEach((p, i) => (providerButtons[i]!.hidden = !offered.has(p.id)));
    tokenForm.hidden = options !== null && !options.testToken;
    separator.hidden = tokenForm.hidden || providerButtons.every((b) => b.hidden);
    const nothing = options !== null && offered.size === 0 && !options.testToken;
    optionsLine.hidden = !nothing;
    optionsLine.textContent = nothing
      ? `The auth service${where} offers no way to sign in yet: its operator sets ${providerSettings()}.`
      : "";
    const first = providerButtons.find((b) => !b.hidden) ?? (tokenForm.hidden ? null : email);
    if (first && (document.activeElement === document.body || document.activeElement === retry)) first.focus();
  };
  const load = async () => {
    retry.hidden = true;
    optionsLine.hidden = false;
    optionsLine.textContent = "Checking how you can sign in…";
    try {
      const options = await deps.loadOptions();
      if (!destroyed) offer(options);
    } catch (e) {
      if (destroyed) return;
      if (isKind(e, "notFound")) return offer(null);
      optionsLine.textContent = `Couldn't reach the auth service${where}. Check that it is running, or its URL in Settings.`;
      retry.hidden = false;
    }
  };
  retry.addEventListener("click", () => void load());

  const server = deps.settings
    ? h("span", null, "API ", h("code", null, deps.settings.apiUrl), " · Auth ", h("code", null, deps.settings.authUrl), " ")
    : h("span", null, "Server settings not loaded");

  const el = h(
    "main",
    { class: "signin", id: "signin" },
    h(
      "section",
      { class: "signin-card", "aria-labelledby": "signin-title" },
      h("div", { class: "brand-mark" }, icon("image", "icon brand-icon"), h("span", null, "imgup admin")),
      h("h1", { id: "signin-title" }, "Sign in"),
      h("p", { class: "lead" }, "Browse, preview and upload images."),
      h("div", { class: "providers" }, ...providerButtons),
      optionsLine,
      retry,
      waitingBox,
      separator,
      tokenForm,
      h(
        "p",
        { class: "server-line" },
        server,
        h("button", { type: "button", class: "link-button", id: "open-settings", onclick: () => deps.openSettings() }, "Settings…"),
      ),
    ),
  );

  void load();

  return {
    el,
    destroy() {
      destroyed = true;
      if (waiting) void deps.signInCancel().catch(() => {});
    },
  };
}
