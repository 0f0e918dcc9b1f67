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
  it("offers Google, GitHub and OIDC, the test-token form and server settings", () => {
    const { deps } = mount();
    const labels = [...document.querySelectorAll(".providers button")].map((b) => b.textContent);
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
