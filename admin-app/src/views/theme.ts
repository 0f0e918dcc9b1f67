// The appearance control: System / Light / Dark as a radio group of buttons
// (arrow keys move and choose, Tab stops once). A choice applies at once.

import { h } from "../dom";
import { chooseTheme, loadTheme, type Theme } from "../theme";

const LABEL: Record<Theme, string> = { system: "System", light: "Light", dark: "Dark" };
const ORDER: Theme[] = ["system", "light", "dark"];

export function themeChoiceView(): HTMLElement {
  const buttons = ORDER.map((t) =>
    h("button", { type: "button", class: "segment", role: "radio", "data-theme-option": t }, LABEL[t]),
  );
  const show = (theme: Theme) => {
    for (const b of buttons) {
      const on = b.dataset.themeOption === theme;
      b.setAttribute("aria-checked", String(on));
      b.tabIndex = on ? 0 : -1;
    }
  };
  const choose = (button: HTMLButtonElement) => {
    const theme = button.dataset.themeOption as Theme;
    chooseTheme(theme);
    show(theme);
    button.focus();
  };
  show(loadTheme());

  const group = h(
    "div",
    { id: "theme-choice", class: "segmented", role: "radiogroup", "aria-labelledby": "theme-choice-label", "aria-describedby": "theme-choice-hint" },
    ...buttons,
  );
  group.addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("[data-theme-option]");
    if (button) choose(button);
  });
  group.addEventListener("keydown", (event) => {
    const i = buttons.indexOf(event.target as HTMLButtonElement);
    if (i < 0) return;
    const step: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next: number;
    if (event.key in step) next = (i + step[event.key]! + buttons.length) % buttons.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = buttons.length - 1;
    else return;
    event.preventDefault();
    choose(buttons[next]!);
  });

  return h(
    "div",
    { class: "field" },
    h("span", { id: "theme-choice-label", class: "field-label" }, "Appearance"),
    group,
    h("p", { id: "theme-choice-hint", class: "hint" }, "System follows your computer's light or dark setting."),
  );
}
