// Checks on the two base URLs before settings_save (the Rust side checks again).

import type { Settings } from "./types";

export type SettingsErrors = Partial<Record<keyof Settings, string>>;
export type SettingsCheck = { ok: true; settings: Settings } | { ok: false; errors: SettingsErrors };

const LABELS: Record<keyof Settings, { name: string; example: string }> = {
  apiUrl: { name: "the API base URL", example: "http://localhost:8080" },
  authUrl: { name: "the auth base URL", example: "http://localhost:8001" },
};

/** A trimmed http(s) URL without query or fragment, trailing slashes dropped; or why not. */
export function checkBaseUrl(raw: string, field: keyof Settings): { ok: true; url: string } | { ok: false; error: string } {
  const { name, example } = LABELS[field];
  const value = raw.trim();
  if (!value) return { ok: false, error: `Enter ${name}, e.g. ${example}.` };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, error: `Enter a full URL starting with http:// or https://, e.g. ${example}.` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, error: `Use an http:// or https:// URL, e.g. ${example}.` };
  }
  if (url.username || url.password) return { ok: false, error: "Leave the user name and password out of the URL." };
  if (url.search || url.hash) return { ok: false, error: "Give the base URL only, without ? or #." };
  return { ok: true, url: value.replace(/\/+$/, "") };
}

export function checkSettings(input: Settings): SettingsCheck {
  const api = checkBaseUrl(input.apiUrl, "apiUrl");
  const auth = checkBaseUrl(input.authUrl, "authUrl");
  if (api.ok && auth.ok) return { ok: true, settings: { apiUrl: api.url, authUrl: auth.url } };
  const errors: SettingsErrors = {};
  if (!api.ok) errors.apiUrl = api.error;
  if (!auth.ok) errors.authUrl = auth.error;
  return { ok: false, errors };
}
