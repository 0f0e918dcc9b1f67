// Sizes, dates and type names as a person reads them.

const UNITS = ["B", "KB", "MB", "GB", "TB"] as const;

/** 1536 → "1.5 KB", 10485760 → "10 MB" (1024-based, as the upload limit is). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // One decimal below 100, none above; "10.0" reads better as "10".
  let rounded = value < 100 ? Math.round(value * 10) / 10 : Math.round(value);
  if (rounded >= 1024 && unit < UNITS.length - 1) {
    rounded = 1;
    unit += 1;
  }
  return `${rounded} ${UNITS[unit]}`;
}

export type DateOptions = { locale?: string; timeZone?: string };

function parse(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "26 Nov 2026, 15:48" in the person's locale (the full date, for metadata). */
export function formatDateTime(iso: string, opts: DateOptions = {}): string {
  const d = parse(iso);
  if (!d) return "—";
  return new Intl.DateTimeFormat(opts.locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: opts.timeZone,
  }).format(d);
}

/** "just now", "5 min ago", "3 h ago", else the date: short words for a card. */
export function formatWhen(iso: string, now: Date = new Date(), opts: DateOptions = {}): string {
  const d = parse(iso);
  if (!d) return "—";
  const seconds = (now.getTime() - d.getTime()) / 1000;
  if (seconds < 60 && seconds > -60) return "just now";
  if (seconds > 0 && seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds > 0 && seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Intl.DateTimeFormat(opts.locale, {
    year: "numeric",
    month: "short",
    day: "numeric",
    timeZone: opts.timeZone,
  }).format(d);
}

const TYPE_LABELS: Record<string, string> = {
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/webp": "WebP",
  "image/avif": "AVIF",
  "image/gif": "GIF",
};

/** "image/webp" → "WebP". */
export function typeLabel(contentType: string): string {
  const t = contentType.trim().toLowerCase();
  const known = TYPE_LABELS[t];
  if (known) return known;
  const sub = t.split("/")[1];
  return sub ? sub.toUpperCase() : contentType || "unknown type";
}

/** ["a","b","c"] → "a, b or c". */
export function listWithOr(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}
