// The sign-in providers: the one place that names them. Their ids (what
// `GET /auth/providers` lists and `sign_in_browser` takes), their labels, the
// setting that turns each on in imgup-auth, and their marks (small inline
// SVGs, no network). The Rust side checks the same ids
// (src-tauri/src/sign_in.rs `PROVIDERS`; providers.test.ts keeps the two equal).

const SVG_NS = "http://www.w3.org/2000/svg";

/** One mark: a viewBox and its filled paths (`fill: null` is currentColor). */
type Mark = { viewBox: string; paths: { d: string; fill: string | null }[] };

const GOOGLE: Mark = {
  viewBox: "0 0 48 48",
  paths: [
    { fill: "#EA4335", d: "M24 9.5c3.54 0 6.71 1.22 9.21 3.6l6.85-6.85C35.9 2.38 30.47 0 24 0 14.62 0 6.51 5.38 2.56 13.22l7.98 6.19C12.43 13.72 17.74 9.5 24 9.5z" },
    { fill: "#4285F4", d: "M46.98 24.55c0-1.57-.15-3.09-.38-4.55H24v9.02h12.94c-.58 2.96-2.26 5.48-4.78 7.18l7.73 6c4.51-4.18 7.09-10.36 7.09-17.65z" },
    { fill: "#FBBC05", d: "M10.53 28.59c-.48-1.45-.76-2.99-.76-4.59s.27-3.14.76-4.59l-7.98-6.19C.92 16.46 0 20.12 0 24c0 3.88.92 7.54 2.56 10.78l7.97-6.19z" },
    { fill: "#34A853", d: "M24 48c6.48 0 11.93-2.13 15.89-5.81l-7.73-6c-2.15 1.45-4.92 2.3-8.16 2.3-6.26 0-11.57-4.22-13.47-9.91l-7.98 6.19C6.51 42.62 14.62 48 24 48z" },
  ],
};

const GITHUB: Mark = {
  viewBox: "0 0 16 16",
  paths: [
    {
      fill: null,
      d: "M8 0C3.58 0 0 3.58 0 8c0 3.54 2.29 6.53 5.47 7.59.4.07.55-.17.55-.38 0-.19-.01-.82-.01-1.49-2.01.37-2.53-.49-2.69-.94-.09-.23-.48-.94-.82-1.13-.28-.15-.68-.52-.01-.53.63-.01 1.08.58 1.23.82.72 1.21 1.87.87 2.33.66.07-.52.28-.87.51-1.07-1.78-.2-3.64-.89-3.64-3.95 0-.87.31-1.59.82-2.15-.08-.2-.36-1.02.08-2.12 0 0 .67-.21 2.2.82.64-.18 1.32-.27 2-.27.68 0 1.36.09 2 .27 1.53-1.04 2.2-.82 2.2-.82.44 1.1.16 1.92.08 2.12.51.56.82 1.27.82 2.15 0 3.07-1.87 3.75-3.65 3.95.29.25.54.73.54 1.48 0 1.07-.01 1.93-.01 2.2 0 .21.15.46.55.38A8.01 8.01 0 0 0 16 8c0-4.42-3.58-8-8-8z",
    },
  ],
};

/** A key: any OpenID Connect issuer. */
const KEY: Mark = {
  viewBox: "0 0 24 24",
  paths: [
    {
      fill: null,
      d: "M15.5 2a6.5 6.5 0 0 0-6.18 8.5L2.3 17.5a1 1 0 0 0-.3.7V21a1 1 0 0 0 1 1h2.8a1 1 0 0 0 1-1v-1.5h1.5a1 1 0 0 0 1-1V17h1.5a1 1 0 0 0 .7-.3l1-1A6.5 6.5 0 1 0 15.5 2zm1.5 3.5a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z",
    },
  ],
};

/** Every provider the app knows, in the order they are offered. */
export const PROVIDERS = [
  { id: "google", name: "Google", setting: "GOOGLE_CLIENT_ID", mark: GOOGLE },
  { id: "github", name: "GitHub", setting: "GITHUB_CLIENT_ID", mark: GITHUB },
  { id: "oidc", name: "OIDC", setting: "OIDC_ISSUER_URL", mark: KEY },
] as const satisfies readonly { id: string; name: string; setting: string; mark: Mark }[];

export type ProviderInfo = (typeof PROVIDERS)[number];
export type Provider = ProviderInfo["id"];
export const PROVIDER_IDS: readonly Provider[] = PROVIDERS.map((p) => p.id);

export function isProvider(id: string): id is Provider {
  return (PROVIDER_IDS as readonly string[]).includes(id);
}

export function providerInfo(id: Provider): ProviderInfo {
  return PROVIDERS.find((p) => p.id === id)!;
}

/** "Sign in with GitHub". */
export function providerLabel(id: Provider): string {
  return `Sign in with ${providerInfo(id).name}`;
}

/**
 * What to offer for what the auth service listed: the providers it named
 * that the app knows, each once, in the app's order; `null` (a service too
 * old to say) offers all of them.
 */
export function offeredProviders(listed: readonly string[] | null): Provider[] {
  if (listed === null) return [...PROVIDER_IDS];
  const named = new Set(listed);
  return PROVIDER_IDS.filter((id) => named.has(id));
}

/** "GOOGLE_CLIENT_ID, GITHUB_CLIENT_ID or OIDC_ISSUER_URL": what turns them on. */
export function providerSettings(): string {
  const names = PROVIDERS.map((p) => p.setting);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : (names[0] ?? "");
}

/** The provider's mark, decorative (the button's text names it). */
export function providerMark(id: Provider, className = "provider-mark"): SVGSVGElement {
  const mark = providerInfo(id).mark;
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", mark.viewBox);
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.dataset.mark = id;
  for (const { d, fill } of mark.paths) {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", fill ?? "currentColor");
    svg.appendChild(path);
  }
  return svg;
}
