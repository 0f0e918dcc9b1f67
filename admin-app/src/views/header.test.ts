// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import type { Session } from "../types";
import { headerView, tokenStoreText } from "./header";

const mount = (session: Session) => {
  document.body.replaceChildren(headerView({ session, openSettings: () => {}, signOut: async () => {} }));
  return document.body;
};

describe("header", () => {
  it("shows who is signed in, the admin badge, and that the token is in the keyring", () => {
    const body = mount({ user: { userId: 1, email: "ada@example.com", name: "Ada", role: "admin" }, tokenStore: "keyring" });
    const who = body.querySelector("#signed-in-as")!;
    expect(who.textContent).toContain("Ada");
    expect(who.textContent).toContain("ada@example.com");
    expect(who.querySelector(".badge-admin")?.textContent).toBe("admin");
    expect(body.textContent).toContain("Saved in the system keyring");
    expect(body.querySelector("#sign-out")).not.toBeNull();
  });

  it("shows the email without a badge for a user, and the private-file fallback", () => {
    const body = mount({ user: { userId: 2, email: "bob@example.com", name: null, role: "user" }, tokenStore: "file", tokenStoreReason: "noKeyring" });
    expect(body.querySelector("#signed-in-as")!.textContent).toContain("bob@example.com");
    expect(body.querySelector(".badge-admin")).toBeNull();
    expect(body.querySelector("#token-store")!.textContent).toBe("Saved in a private file (no system keyring answered)");
  });

  it("a file chosen by setting says so, not that no keyring was found", () => {
    const body = mount({ user: { userId: 2, email: "bob@example.com", name: null, role: "user" }, tokenStore: "file", tokenStoreReason: "setting" });
    const note = body.querySelector<HTMLElement>("#token-store")!;
    expect(note.textContent).toBe("Saved in a private file (IMGUP_ADMIN_TOKEN_STORE=file)");
    expect(note.textContent).not.toContain("keyring");
    expect(note.dataset.reason).toBe("setting");
  });

  it("words each place and reason", () => {
    expect(tokenStoreText("keyring")).toBe("Saved in the system keyring");
    expect(tokenStoreText("keyring", null)).toBe("Saved in the system keyring");
    expect(tokenStoreText("file", "setting")).toContain("IMGUP_ADMIN_TOKEN_STORE=file");
    expect(tokenStoreText("file", "noKeyring")).toContain("no system keyring answered");
    // An older Rust side that does not say why: no guess.
    expect(tokenStoreText("file")).toBe("Saved in a private file");
  });
});

describe("header actions", () => {
  it("offers Usage when the app gives it", () => {
    let opened = 0;
    const session: Session = { user: { userId: 1, email: "a@b.c", name: null, role: "user" }, tokenStore: "file" };
    document.body.replaceChildren(headerView({ session, openSettings: () => {}, openUsage: () => (opened += 1), signOut: async () => {} }));
    (document.getElementById("open-usage") as HTMLButtonElement).click();
    expect(opened).toBe(1);
  });
});
