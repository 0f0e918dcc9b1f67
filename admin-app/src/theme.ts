// Appearance: System (follows prefers-color-scheme), Light or Dark, kept in
// localStorage and shown as `data-theme` on <html> (absent for System); the
// stylesheet does the rest, color-scheme included.

export type Theme = "system" | "light" | "dark";
export const THEMES: readonly Theme[] = ["system", "light", "dark"];
export const THEME_KEY = "imgup-admin.theme";

type Store = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** localStorage, or null where it is missing or refused. */
function localStore(): Store | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function isTheme(value: unknown): value is Theme {
  return typeof value === "string" && (THEMES as readonly string[]).includes(value);
}

/** The stored choice; anything else (nothing, junk, no storage) is System. */
export function loadTheme(store: Store | null = localStore()): Theme {
  try {
    const value = store?.getItem(THEME_KEY);
    return isTheme(value) ? value : "system";
  } catch {
    return "system";
  }
}

/** Keeps the choice (System is kept as no entry); a full or refused storage is not an error. */
export function saveTheme(theme: Theme, store: Store | null = localStore()): void {
  try {
    if (theme === "system") store?.removeItem(THEME_KEY);
    else store?.setItem(THEME_KEY, theme);
  } catch {
    // still applied for this run
  }
}

export function applyTheme(theme: Theme, root: Element = document.documentElement): void {
  if (theme === "system") root.removeAttribute("data-theme");
  else root.setAttribute("data-theme", theme);
}

/** What the control calls: apply now, remember for next time. */
export function chooseTheme(theme: Theme, store: Store | null = localStore(), root: Element = document.documentElement): void {
  applyTheme(theme, root);
  saveTheme(theme, store);
}
