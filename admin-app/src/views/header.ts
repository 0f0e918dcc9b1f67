// The header when signed in: who, where the token is kept, Settings, Sign out.

import { h, icon } from "../dom";
import type { Session, TokenStore, TokenStoreReason } from "../types";

/** Where the sign-in is kept, and for a file why: as the Rust side chose it. */
export function tokenStoreText(store: TokenStore, reason?: TokenStoreReason | null): string {
  if (store === "keyring") return "Saved in the system keyring";
  switch (reason) {
    case "setting":
      return "Saved in a private file (IMGUP_ADMIN_TOKEN_STORE=file)";
    case "noKeyring":
      return "Saved in a private file (no system keyring answered)";
    default:
      return "Saved in a private file";
  }
}

export type HeaderDeps = {
  session: Session;
  openSettings: () => void;
  /** The Usage dialog; without it, no button. */
  openUsage?: () => void;
  /** The People dialog (admins); without it, no button. */
  openPeople?: () => void;
  signOut: () => Promise<void>;
};

export function headerView(deps: HeaderDeps): HTMLElement {
  const { user, tokenStore, tokenStoreReason } = deps.session;
  const signOut = h("button", { type: "button", class: "button", id: "sign-out" }, "Sign out");
  signOut.addEventListener("click", async () => {
    signOut.disabled = true;
    try {
      await deps.signOut();
    } finally {
      signOut.disabled = false;
    }
  });
  return h(
    "header",
    { class: "app-header" },
    h("div", { class: "brand-mark" }, icon("image", "icon brand-icon"), h("span", null, "imgup admin")),
    h(
      "div",
      { class: "who" },
      h(
        "p",
        { id: "signed-in-as", class: "signed-in-as", title: `Signed in as ${user.email}` },
        h("span", { class: "visually-hidden" }, "Signed in as "),
        user.name ? h("span", { class: "user-name" }, user.name, " ") : null,
        h("span", { class: user.name ? "user-email muted" : "user-email" }, user.email),
        user.role === "admin" ? h("span", { class: "badge badge-admin" }, "admin") : null,
      ),
      h(
        "p",
        { id: "token-store", class: "token-store muted", "data-token-store": tokenStore, "data-reason": tokenStoreReason ?? null },
        icon(tokenStore === "keyring" ? "lock" : "file", "icon small"),
        tokenStoreText(tokenStore, tokenStoreReason),
      ),
    ),
    h(
      "div",
      { class: "header-actions" },
      deps.openPeople
        ? h("button", { type: "button", class: "button", id: "open-people", onclick: () => deps.openPeople?.() }, "People")
        : null,
      deps.openUsage
        ? h("button", { type: "button", class: "button", id: "open-usage", onclick: () => deps.openUsage?.() }, "Usage")
        : null,
      h(
        "button",
        { type: "button", class: "button", id: "open-settings", onclick: () => deps.openSettings() },
        icon("settings"),
        "Settings",
      ),
      signOut,
    ),
  );
}
