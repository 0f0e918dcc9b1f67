// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { THEME_KEY } from "../theme";
import { closeAllModals } from "./modal";
import { openSettings } from "./settings";
import { themeChoiceView } from "./theme";

const html = document.documentElement;
const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const option = (theme: string) => $<HTMLButtonElement>(`#theme-choice [data-theme-option="${theme}"]`);
const checked = () => [...document.querySelectorAll<HTMLElement>('#theme-choice [aria-checked="true"]')].map((b) => b.dataset.themeOption);
const key = (k: string) =>
  document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));

beforeEach(() => {
  localStorage.clear();
  html.removeAttribute("data-theme");
  document.body.replaceChildren();
});
afterEach(() => closeAllModals());

describe("appearance control", () => {
  it("is a labelled radio group of System, Light and Dark, System chosen by default", () => {
    document.body.append(themeChoiceView());
    const group = $("#theme-choice");
    expect(group.getAttribute("role")).toBe("radiogroup");
    expect(document.getElementById(group.getAttribute("aria-labelledby")!)!.textContent).toBe("Appearance");
    const options = [...group.querySelectorAll<HTMLButtonElement>("[data-theme-option]")];
    expect(options.map((b) => [b.dataset.themeOption, b.textContent, b.getAttribute("role")])).toEqual([
      ["system", "System", "radio"],
      ["light", "Light", "radio"],
      ["dark", "Dark", "radio"],
    ]);
    expect(checked()).toEqual(["system"]);
    expect(options.map((b) => b.tabIndex)).toEqual([0, -1, -1]); // one Tab stop: the chosen one
  });

  it("shows the stored choice", () => {
    localStorage.setItem(THEME_KEY, "dark");
    document.body.append(themeChoiceView());
    expect(checked()).toEqual(["dark"]);
    expect(option("dark").tabIndex).toBe(0);
  });

  it("a click applies the choice to <html> and stores it; System removes both", () => {
    document.body.append(themeChoiceView());
    option("dark").click();
    expect(html.getAttribute("data-theme")).toBe("dark");
    expect(localStorage.getItem(THEME_KEY)).toBe("dark");
    expect(checked()).toEqual(["dark"]);

    option("light").click();
    expect(html.getAttribute("data-theme")).toBe("light");
    expect(localStorage.getItem(THEME_KEY)).toBe("light");

    option("system").click();
    expect(html.hasAttribute("data-theme")).toBe(false);
    expect(localStorage.getItem(THEME_KEY)).toBeNull();
    expect(checked()).toEqual(["system"]);
  });

  it("arrow keys move to and choose the next option, wrapping; Home and End too", () => {
    document.body.append(themeChoiceView());
    option("system").focus();
    key("ArrowRight");
    expect(document.activeElement).toBe(option("light"));
    expect(html.getAttribute("data-theme")).toBe("light");
    key("ArrowDown");
    key("ArrowRight");
    expect(document.activeElement).toBe(option("system"));
    expect(html.hasAttribute("data-theme")).toBe(false);
    key("ArrowLeft");
    expect(checked()).toEqual(["dark"]);
    key("Home");
    expect(checked()).toEqual(["system"]);
    key("End");
    expect(checked()).toEqual(["dark"]);
    expect(localStorage.getItem(THEME_KEY)).toBe("dark");
  });

  it("is in the Settings dialog, where a click applies at once without Save", () => {
    const saved: unknown[] = [];
    openSettings({
      current: { apiUrl: "http://localhost:8080", authUrl: "http://localhost:8001" },
      save: async (s) => (saved.push(s), s),
      describe: String,
      onSaved: () => {},
    });
    expect($("#settings #theme-choice")).not.toBeNull();
    option("light").click();
    expect(html.getAttribute("data-theme")).toBe("light");
    expect(localStorage.getItem(THEME_KEY)).toBe("light");
    expect(saved).toEqual([]);
    // Tab from the last control wraps to the chosen option, not the first button
    $("#settings-save").focus();
    key("Tab");
    expect(document.activeElement).toBe(option("light"));
  });
});
