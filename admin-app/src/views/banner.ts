// #error-banner: the app-level error, in words, until dismissed or replaced.
// #toast: a short confirmation ("Deleted cat.png") that goes away by itself.

import { h, icon } from "../dom";

export type Banner = { show(message: string): void; clear(): void };

export function mountBanner(el: HTMLElement): Banner {
  const text = h("p", { class: "banner-text" });
  const dismiss = h("button", { type: "button", class: "icon-button", "aria-label": "Dismiss", title: "Dismiss" }, icon("close"));
  el.classList.add("banner");
  el.setAttribute("role", "alert");
  el.replaceChildren(icon("alert", "icon banner-icon"), text, dismiss);
  const clear = () => {
    el.hidden = true;
    text.textContent = "";
  };
  dismiss.addEventListener("click", clear);
  clear();
  return {
    show(message: string) {
      text.textContent = message;
      el.hidden = false;
    },
    clear,
  };
}

export type Toast = { show(message: string): void };

export function mountToast(el: HTMLElement, millis = 4000): Toast {
  // The live region stays in the page (a hidden one may not be announced); only its look changes.
  let timer: ReturnType<typeof setTimeout> | undefined;
  el.classList.add("toast");
  el.setAttribute("role", "status");
  el.dataset.shown = "false";
  return {
    show(message: string) {
      el.textContent = message;
      el.dataset.shown = "true";
      clearTimeout(timer);
      timer = setTimeout(() => {
        el.dataset.shown = "false";
        el.textContent = "";
      }, millis);
    },
  };
}
