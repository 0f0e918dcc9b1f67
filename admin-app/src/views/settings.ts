// The settings dialog: appearance (applies at once) and the API and auth base URLs.

import { h } from "../dom";
import { checkSettings, type SettingsErrors } from "../settings";
import type { Settings } from "../types";
import { openModal } from "./modal";
import { themeChoiceView } from "./theme";

export type SettingsDeps = {
  current: Settings | null;
  save: (settings: Settings) => Promise<Settings>;
  describe: (error: unknown) => string;
  onSaved: (settings: Settings) => void;
};

export function openSettings(deps: SettingsDeps): void {
  const field = (key: keyof Settings, label: string, hint: string) => {
    const id = `settings-${key}`;
    const input = h("input", {
      id,
      name: key,
      type: "url",
      inputmode: "url",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
      "aria-describedby": `${id}-hint ${id}-error`,
    });
    input.value = deps.current?.[key] ?? "";
    const error = h("p", { id: `${id}-error`, class: "field-error", hidden: true });
    const wrap = h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      input,
      h("p", { id: `${id}-hint`, class: "hint" }, hint),
      error,
    );
    return { input, error, wrap };
  };
  const api = field("apiUrl", "API base URL", "Where imgup-api answers, e.g. http://localhost:8080");
  const auth = field("authUrl", "Auth base URL", "Where imgup-auth answers, e.g. http://localhost:8001");
  const formError = h("p", { class: "form-error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "button primary", id: "settings-save" }, "Save");
  const cancel = h("button", { type: "button", class: "button" }, "Cancel");

  const showErrors = (errors: SettingsErrors) => {
    for (const [key, f] of [["apiUrl", api], ["authUrl", auth]] as const) {
      const message = errors[key];
      f.error.textContent = message ?? "";
      f.error.hidden = !message;
      f.input.toggleAttribute("aria-invalid", Boolean(message));
    }
  };

  const form = h(
    "form",
    { class: "settings-form", novalidate: true },
    api.wrap,
    auth.wrap,
    formError,
    h("div", { class: "modal-actions" }, cancel, save),
  );
  const modal = openModal({
    id: "settings",
    labelledBy: "settings-title",
    className: "modal-small",
    content: [h("h2", { id: "settings-title", class: "modal-title" }, "Settings"), themeChoiceView(), form],
    initialFocus: () => api.input,
  });
  cancel.addEventListener("click", () => modal.close());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
    const checked = checkSettings({ apiUrl: api.input.value, authUrl: auth.input.value });
    if (!checked.ok) {
      showErrors(checked.errors);
      (checked.errors.apiUrl ? api.input : auth.input).focus();
      return;
    }
    showErrors({});
    save.disabled = true;
    save.textContent = "Saving…";
    try {
      const saved = await deps.save(checked.settings);
      modal.close();
      deps.onSaved(saved);
    } catch (e) {
      formError.textContent = deps.describe(e);
      formError.hidden = false;
    } finally {
      save.disabled = false;
      save.textContent = "Save";
    }
  });
}
