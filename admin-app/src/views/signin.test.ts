// @vitest-environment jsdom
import { beforeEach, describe, expect, it, vi } from "vitest";
import { deferred, flush } from "../test-support";
import type { Session } from "../types";
import { signInView, type SignInDeps } from "./signin";

const session: Session = { user: { userId: 1, email: "ada@example.com", name: null, role: "user" }, tokenStore: "keyring" };
const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;

function mount(over: Partial<SignInDeps> = {}) {
  const deps: SignInDeps = {
    settings: { apiUrl: "http://localhost:8080", authUrl: "http://localhost:8001" },
    loadOptions: async () => ({ providers: ["google", "github", "oidc"], testToken: true }),
    signInBrowser: async () => session,
    signInCancel: async () => null,
    signInTestToken: async () => session,
    onSignedIn: vi.fn(),
    report: vi.fn(),
    clearError: vi.fn(),
    openSettings: vi.fn(),
    ...over,
  };
  const view = signInView(deps);
  document.body.replaceChildren(view.el);
  return { deps, view };
}

beforeEach(() => document.body.replaceChildren());

describe("sign-in", () => {
  it("offers Google, GitHub and OIDC, the test-token form and server settings", async () => {
    const { deps } = mount();
    await flush();
    const labels = [...document.querySelectorAll<HTMLElement>(".providers button")].filter((b) => !b.hidden).map((b) => b.textContent);
    expect(labels).toEqual(["Sign in with Google", "Sign in with GitHub", "Sign in with OIDC"]);
    expect($("#test-token-email")).not.toBeNull();
    expect(document.body.textContent).toContain("Development: test token");
    $("#open-settings").click();
    expect(deps.openSettings).toHaveBeenCalled();
  });

  it("signs in with a test token for the email given", async () => {
    const signInTestToken = vi.fn(async () => session);
    const { deps } = mount({ signInTestToken });
    $<HTMLInputElement>("#test-token-email").value = " ada@example.com ";
    $("#test-token-sign-in").click();
    await flush();
    expect(signInTestToken).toHaveBeenCalledWith("ada@example.com");
    expect(deps.onSignedIn).toHaveBeenCalledWith(session);
  });

  it("reports a test-token failure as a test-token error (notFound → development only)", async () => {
    const error = { kind: "notFound", message: "" };
    const { deps } = mount({ signInTestToken: async () => Promise.reject(error) });
    $<HTMLInputElement>("#test-token-email").value = "ada@example.com";
    $("#test-token-sign-in").click();
    await flush();
    expect(deps.report).toHaveBeenCalledWith(error, "testToken");
    expect($<HTMLButtonElement>("#test-token-sign-in").disabled).toBe(false);
  });

  it("waits for the browser with a Cancel button, and a cancel is no error", async () => {
    const pending = deferred<Session>();
    const signInCancel = vi.fn(async () => {
      pending.reject({ kind: "cancelled", message: "" });
      return null;
    });
    const { deps } = mount({ signInBrowser: () => pending.promise, signInCancel });
    $('[data-provider="github"]').click();
    expect($(".waiting").hidden).toBe(false);
    expect($(".waiting").textContent).toContain("Finish signing in in your browser…");
    expect($<HTMLButtonElement>('[data-provider="google"]').disabled).toBe(true);
    $("#sign-in-cancel").click();
    await flush();
    expect(signInCancel).toHaveBeenCalled();
    expect($(".waiting").hidden).toBe(true);
    expect(deps.report).not.toHaveBeenCalled();
    expect($<HTMLButtonElement>('[data-provider="google"]').disabled).toBe(false);
  });

  it("finishes a browser sign-in with the provider chosen", async () => {
    const signInBrowser = vi.fn(async () => session);
    const { deps } = mount({ signInBrowser });
    $('[data-provider="oidc"]').click();
    await flush();
    expect(signInBrowser).toHaveBeenCalledWith("oidc");
    expect(deps.onSignedIn).toHaveBeenCalledWith(session);
  });
});

describe("sign-in: the providers first, each with its mark", () => {
  it("puts the configured providers before the test token, each button with its provider's mark", async () => {
    mount({ loadOptions: async () => ({ providers: ["oidc", "google"], testToken: true }) });
    await flush();
    const buttons = [...document.querySelectorAll<HTMLElement>(".providers button")].filter((b) => !b.hidden);
    expect(buttons.map((b) => b.dataset.provider)).toEqual(["google", "oidc"]);
    expect(buttons.map((b) => b.querySelector("svg")?.dataset.mark)).toEqual(["google", "oidc"]);
    expect(buttons.map((b) => b.textContent)).toEqual(["Sign in with Google", "Sign in with OIDC"]);
    // In the page's order: the providers, then the development form.
    const providers = document.querySelector(".providers")!;
    const form = document.querySelector("form.test-token")!;
    expect(providers.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(document.activeElement).toBe(buttons[0]);
  });
});

describe("sign-in offers only what the auth service has", () => {
  const shown = () =>
    [...document.querySelectorAll<HTMLElement>(".providers button")].filter((b) => !b.hidden).map((b) => b.dataset.provider);

  it("shows nothing to click until the auth service has said", () => {
    mount({ loadOptions: () => new Promise(() => {}) });
    expect(shown()).toEqual([]);
    expect($("form.test-token").hidden).toBe(true);
    expect($("#sign-in-options").textContent).toBe("Checking how you can sign in…");
  });

  it("offers the configured providers only, and no test token in production", async () => {
    mount({ loadOptions: async () => ({ providers: ["github"], testToken: false }) });
    await flush();
    expect(shown()).toEqual(["github"]);
    expect($("form.test-token").hidden).toBe(true);
    expect($("#sign-in-options").hidden).toBe(true);
    expect(document.activeElement).toBe($('[data-provider="github"]'));
  });

  it("a development service without providers offers the test token alone", async () => {
    mount({ loadOptions: async () => ({ providers: [], testToken: true }) });
    await flush();
    expect(shown()).toEqual([]);
    expect($("form.test-token").hidden).toBe(false);
    expect(document.querySelector<HTMLElement>("hr")!.hidden).toBe(true);
  });

  it("says so when there is no way to sign in at all", async () => {
    mount({ loadOptions: async () => ({ providers: [], testToken: false }) });
    await flush();
    expect($("#sign-in-options").textContent).toContain("offers no way to sign in yet");
    expect($("#sign-in-options").textContent).toContain("http://localhost:8001");
  });

  it("names the service it could not reach, and retries on request", async () => {
    let calls = 0;
    mount({
      loadOptions: async () => {
        calls += 1;
        if (calls === 1) throw { kind: "network", message: "connection refused" };
        return { providers: ["google"], testToken: false };
      },
    });
    await flush();
    expect($("#sign-in-options").textContent).toBe(
      "Couldn't reach the auth service at http://localhost:8001. Check that it is running, or its URL in Settings.",
    );
    expect(shown()).toEqual([]);
    $("#sign-in-retry").click();
    await flush();
    expect(shown()).toEqual(["google"]);
    expect($("#sign-in-retry").hidden).toBe(true);
  });

  it("an auth service too old to say gets every option, as before", async () => {
    mount({ loadOptions: async () => Promise.reject({ kind: "notFound", message: "" }) });
    await flush();
    expect(shown()).toEqual(["google", "github", "oidc"]);
    expect($("form.test-token").hidden).toBe(false);
  });
});
