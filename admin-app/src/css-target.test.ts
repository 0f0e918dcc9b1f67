// The stylesheet holds for the WebKit the build targets (vite.config.ts
// `build.target`, e.g. `safari15`): CSS that needs a newer WebKit must not
// be in it, or only as an enhancement after a fallback declaration.
// `light-dark()` is refused outright: it sits in custom properties, where
// an older WebKit drops the whole value and every colour goes with it.
import { describe, expect, it } from "vitest";
import viteConfig from "../vite.config";
import css from "./styles.css?raw";

/** CSS that needs a newer Safari / WebKit than 15, and the first that has it. */
const NEWER_CSS: { feature: string; pattern: RegExp; safari: [number, number] }[] = [
  { feature: "light-dark()", pattern: /\blight-dark\(/, safari: [17, 5] },
  { feature: "color-mix()", pattern: /\bcolor-mix\(/, safari: [16, 2] },
  { feature: "@container", pattern: /@container\b/, safari: [16, 0] },
  { feature: "@starting-style", pattern: /@starting-style\b/, safari: [17, 5] },
  { feature: "text-wrap: balance | pretty", pattern: /\btext-wrap(-style)?\s*:\s*(balance|pretty)/, safari: [17, 4] },
];
/** Features with no fallback that works: refused whenever the target predates them. */
const NEVER_WITH_FALLBACK = new Set(["light-dark()"]);

/** The Safari version `build.target` promises, e.g. [15, 0] for "safari15". */
function safariTarget(target: unknown): [number, number] | null {
  const targets = Array.isArray(target) ? target : [target];
  for (const t of targets) {
    const m = typeof t === "string" ? /^safari(\d+)(?:\.(\d+))?$/.exec(t) : null;
    if (m) return [Number(m[1]), Number(m[2] ?? 0)];
  }
  return null;
}

const older = (a: [number, number], b: [number, number]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

type Declaration = { property: string; value: string; previous: string | null; line: number };

/** Every `property: value` of the innermost blocks, comments removed, with the property declared just before it. */
function declarations(source: string): Declaration[] {
  // Comments out, lines kept (for the message).
  const text = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "));
  const found: Declaration[] = [];
  for (const block of text.matchAll(/\{([^{}]*)\}/g)) {
    let previous: string | null = null;
    let offset = block.index! + 1;
    for (const part of block[1]!.split(";")) {
      const colon = part.indexOf(":");
      if (colon > 0) {
        const property = part.slice(0, colon).trim().toLowerCase();
        const line = text.slice(0, offset + part.length - part.trimStart().length).split("\n").length;
        found.push({ property, value: part.slice(colon + 1).trim(), previous, line });
        previous = property;
      }
      offset += part.length + 1;
    }
  }
  return found;
}

/** What in `source` needs a newer WebKit than `target`, in words; [] when it all holds. */
function tooNew(source: string, target: [number, number]): string[] {
  const problems: string[] = [];
  const stripped = source.replace(/\/\*[\s\S]*?\*\//g, "");
  for (const { feature, pattern, safari } of NEWER_CSS) {
    if (!older(target, safari)) continue;
    // At-rules: anywhere is too new (they have no fallback).
    if (feature.startsWith("@")) {
      if (pattern.test(stripped)) problems.push(`${feature} needs Safari ${safari.join(".")}`);
      continue;
    }
    for (const d of declarations(source)) {
      if (!pattern.test(`${d.property}: ${d.value}`)) continue;
      const fallback = d.previous === d.property && !d.property.startsWith("--") && !NEVER_WITH_FALLBACK.has(feature);
      if (!fallback) problems.push(`line ${d.line}: ${feature} (in ${d.property}) needs Safari ${safari.join(".")}`);
    }
  }
  return problems;
}

describe("styles.css holds for the build target's WebKit", () => {
  const target = safariTarget(viteConfig.build?.target);

  it("the build names the Safari (WebKit) it targets, and the stylesheet is read as written", () => {
    expect(target).not.toBeNull();
    expect(css.length).toBeGreaterThan(5000); // not the "" vitest gives CSS it does not process
  });

  it("uses nothing newer than that target, light-dark() above all", () => {
    expect(tooNew(css, target!)).toEqual([]);
    if (older(target!, [17, 5])) expect(css.replace(/\/\*[\s\S]*?\*\//g, "")).not.toContain("light-dark(");
  });

  it("still has the light and dark sets, for the system's choice and for Settings", () => {
    expect(css).toMatch(/@media \(prefers-color-scheme: dark\)\s*\{\s*:root:not\(\[data-theme="light"\]\)/);
    expect(css).toContain(':root[data-theme="dark"]');
    const dark = (block: string) => [...block.matchAll(/(--[a-z0-9-]+):/g)].map((m) => m[1]).sort();
    const media = /:root:not\(\[data-theme="light"\]\)\s*\{([^}]*)\}/.exec(css)![1]!;
    const chosen = /:root\[data-theme="dark"\]\s*\{([^}]*)\}/.exec(css)![1]!;
    expect(dark(media)).toEqual(dark(chosen)); // the two dark sets say the same
    expect(dark(media).length).toBeGreaterThan(10);
  });

  it("the check catches what it is for", () => {
    const safari15: [number, number] = [15, 0];
    expect(tooNew(":root { --bg: light-dark(#fff, #000); }", safari15)).toEqual(["line 1: light-dark() (in --bg) needs Safari 17.5"]);
    expect(tooNew("a {\n  color: light-dark(red, blue);\n}", safari15)).toHaveLength(1);
    // An enhancement after a fallback holds; in a custom property it cannot.
    expect(tooNew(".x { background: grey; background: color-mix(in srgb, red 50%, blue); }", safari15)).toEqual([]);
    expect(tooNew(".x { background: color-mix(in srgb, red 50%, blue); }", safari15)).toHaveLength(1);
    expect(tooNew(":root { --x: color-mix(in srgb, red 50%, blue); }", safari15)).toHaveLength(1);
    expect(tooNew("@container (min-width: 1px) { a { color: red; } }", safari15)).toHaveLength(1);
    // A comment that names it is no use of it; a target that has it is fine.
    expect(tooNew("/* no light-dark() here */ a { color: red; }", safari15)).toEqual([]);
    expect(tooNew(":root { --bg: light-dark(#fff, #000); }", [17, 5])).toEqual([]);
    expect(safariTarget(["es2021", "safari15"])).toEqual([15, 0]);
    expect(safariTarget("safari16.4")).toEqual([16, 4]);
    expect(safariTarget(["es2021", "chrome100"])).toBeNull();
  });
});
