import { describe, expect, it } from "vitest";
import { applyTheme, chooseTheme, isTheme, loadTheme, saveTheme, THEME_KEY } from "./theme";

function memoryStore(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, value),
    removeItem: (key: string) => void data.delete(key),
  };
}

const refusing = {
  getItem: (): string | null => {
    throw new Error("SecurityError");
  },
  setItem: () => {
    throw new Error("QuotaExceededError");
  },
  removeItem: () => {
    throw new Error("SecurityError");
  },
};

/** Just the attribute calls applyTheme makes on <html>. */
function fakeRoot(attrs: Record<string, string> = {}) {
  const data = new Map(Object.entries(attrs));
  const root = {
    setAttribute: (name: string, value: string) => void data.set(name, value),
    removeAttribute: (name: string) => void data.delete(name),
  } as unknown as Element;
  return { root, attr: (name: string) => data.get(name) ?? null };
}

describe("loadTheme", () => {
  it("reads a stored light, dark or system", () => {
    expect(loadTheme(memoryStore({ [THEME_KEY]: "light" }))).toBe("light");
    expect(loadTheme(memoryStore({ [THEME_KEY]: "dark" }))).toBe("dark");
    expect(loadTheme(memoryStore({ [THEME_KEY]: "system" }))).toBe("system");
  });

  it("is System when nothing is stored, or no storage at all", () => {
    expect(loadTheme(memoryStore())).toBe("system");
    expect(loadTheme(null)).toBe("system");
  });

  it("falls back to System for anything else stored", () => {
    for (const junk of ["", "Dark", " dark", '"dark"', "blue", "null", "undefined"]) {
      expect(loadTheme(memoryStore({ [THEME_KEY]: junk }))).toBe("system");
    }
  });

  it("falls back to System when storage refuses to be read", () => {
    expect(loadTheme(refusing)).toBe("system");
  });
});

describe("saveTheme", () => {
  it("keeps light and dark, and System as no entry", () => {
    const store = memoryStore();
    saveTheme("dark", store);
    expect(store.data.get(THEME_KEY)).toBe("dark");
    saveTheme("light", store);
    expect(store.data.get(THEME_KEY)).toBe("light");
    saveTheme("system", store);
    expect(store.data.has(THEME_KEY)).toBe(false);
    expect(loadTheme(store)).toBe("system");
  });

  it("does not throw when storage is full, refused or missing", () => {
    expect(() => saveTheme("dark", refusing)).not.toThrow();
    expect(() => saveTheme("system", refusing)).not.toThrow();
    expect(() => saveTheme("dark", null)).not.toThrow();
  });
});

describe("applyTheme", () => {
  it("sets data-theme for light and dark and removes it for System", () => {
    const { root, attr } = fakeRoot();
    applyTheme("dark", root);
    expect(attr("data-theme")).toBe("dark");
    applyTheme("light", root);
    expect(attr("data-theme")).toBe("light");
    applyTheme("system", root);
    expect(attr("data-theme")).toBeNull();
  });
});

describe("chooseTheme", () => {
  it("applies the choice and keeps it for the next start", () => {
    const store = memoryStore();
    const { root, attr } = fakeRoot();
    chooseTheme("light", store, root);
    expect(attr("data-theme")).toBe("light");
    expect(loadTheme(store)).toBe("light");
  });

  it("still applies the choice when storage refuses it", () => {
    const { root, attr } = fakeRoot();
    chooseTheme("dark", refusing, root);
    expect(attr("data-theme")).toBe("dark");
  });
});

describe("isTheme", () => {
  it("knows the three choices and nothing else", () => {
    expect(["system", "light", "dark"].every(isTheme)).toBe(true);
    expect([null, undefined, 1, "", "auto", "DARK"].some(isTheme)).toBe(false);
  });
});
