// The Usage dialog: the signed-in user's posts and bytes against the quota
// (`GET /usage`), and for admins the library's totals (`GET /stats`): by
// status, the biggest owners, uploads a day.

import { h, icon } from "../dom";
import { isKind } from "../errors";
import { formatBytes } from "../format";
import type { LibraryStats, PostStatus, Usage } from "../types";
import { openModal, type ModalHandle } from "./modal";

export type UsageDeps = {
  isAdmin: boolean;
  getUsage: () => Promise<Usage>;
  getStats: () => Promise<LibraryStats>;
  describe: (error: unknown) => string;
  onUnauthorized: (error: unknown) => void;
};

const STATUS_LABEL: Record<PostStatus, string> = {
  pending: "Pending",
  processing: "Processing",
  ready: "Ready",
  rejected: "Rejected",
};

const count = (n: number) => n.toLocaleString("en-US");
const postsUnit = (n: number) => `${count(n)} ${n === 1 ? "post" : "posts"}`;

/** "3 of 100 posts", "1.2 MB of 1 GB", "3 posts (no limit)". */
export function quotaText(kind: "posts" | "bytes", used: number, max: number | null): string {
  if (max === null) return `${kind === "posts" ? postsUnit(used) : formatBytes(used)} (no limit)`;
  return kind === "posts" ? `${count(used)} of ${postsUnit(max)}` : `${formatBytes(used)} of ${formatBytes(max)}`;
}

function meter(id: string, label: string, kind: "posts" | "bytes", used: number, max: number | null): HTMLElement {
  const text = quotaText(kind, used, max);
  const row = h("div", { class: "usage-row" }, h("span", { class: "usage-label" }, label), h("span", { id, class: "usage-value" }, text));
  if (max !== null && max > 0) {
    const fraction = Math.min(1, used / max);
    const bar = h("progress", { max: 1, value: fraction, "aria-label": `${label}: ${Math.round(fraction * 100)} % of the quota` });
    if (fraction >= 0.9) bar.classList.add("usage-high");
    row.appendChild(bar);
  }
  return row;
}

export function usageSection(usage: Usage): HTMLElement {
  return h(
    "section",
    { class: "usage-section", "aria-labelledby": "usage-mine" },
    h("h3", { id: "usage-mine" }, "Your usage"),
    meter("usage-posts", "Posts", "posts", usage.posts, usage.maxPosts),
    meter("usage-bytes", "Storage", "bytes", usage.bytes, usage.maxBytes),
  );
}

function table(caption: string, head: string[], rows: (string | Node)[][], id: string): HTMLElement {
  return h(
    "table",
    { class: "stats-table", id },
    h("caption", null, caption),
    h("thead", null, h("tr", null, ...head.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", null, ...rows.map((r) => h("tr", null, ...r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", null, c)))))),
  );
}

export function statsSection(stats: LibraryStats): HTMLElement {
  const busiest = Math.max(1, ...stats.perDay.map((d) => d.posts));
  const days = h(
    "ol",
    { class: "per-day", id: "stats-per-day", "aria-label": "Uploads a day" },
    ...stats.perDay.map((d) =>
      h(
        "li",
        { title: `${d.day}: ${postsUnit(d.posts)}, ${formatBytes(d.bytes)}` },
        h("span", { class: "per-day-bar", style: `height: ${Math.max(4, Math.round((48 * d.posts) / busiest))}px` }),
        h("span", { class: "visually-hidden" }, `${d.day}: ${postsUnit(d.posts)}`),
      ),
    ),
  );
  return h(
    "section",
    { class: "usage-section", "aria-labelledby": "usage-library" },
    h("h3", { id: "usage-library" }, "Library"),
    h("p", { id: "stats-total", class: "stats-total" }, `${postsUnit(stats.total.posts)} · ${formatBytes(stats.total.bytes)}`),
    table(
      "By status",
      ["Status", "Posts", "Size"],
      stats.byStatus.map((s) => [STATUS_LABEL[s.status] ?? s.status, count(s.posts), formatBytes(s.bytes)]),
      "stats-by-status",
    ),
    stats.topOwners.length
      ? table(
          "Who stores the most",
          ["Owner", "Posts", "Size"],
          stats.topOwners.map((o) => [o.ownerName || o.ownerEmail || `user ${o.ownerId}`, count(o.posts), formatBytes(o.bytes)]),
          "stats-top-owners",
        )
      : null,
    h("h4", null, "Uploads, last 30 days"),
    stats.perDay.length ? days : h("p", { class: "muted" }, "No uploads in the last 30 days."),
  );
}

export function openUsage(deps: UsageDeps): ModalHandle {
  const body = h("div", { class: "usage-body", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const close = h("button", { type: "button", class: "icon-button", id: "usage-close", "aria-label": "Close", title: "Close (Esc)" }, icon("close"));
  const modal = openModal({
    id: "usage",
    className: "modal-usage",
    labelledBy: "usage-title",
    content: [h("div", { class: "modal-head" }, h("h2", { id: "usage-title", class: "modal-title" }, "Usage"), close), body],
    initialFocus: () => close,
  });
  close.addEventListener("click", () => modal.close());

  const failed = (error: unknown) => {
    if (isKind(error, "unauthorized")) {
      deps.onUnauthorized(error);
      return null;
    }
    return h("p", { class: "form-error", role: "alert" }, deps.describe(error));
  };
  const parts: Promise<Node | null>[] = [deps.getUsage().then(usageSection, failed)];
  if (deps.isAdmin) parts.push(deps.getStats().then(statsSection, failed));
  void Promise.all(parts).then((sections) => {
    if (!modal.isOpen()) return;
    body.replaceChildren(...sections.filter((s): s is Node => s !== null));
    body.setAttribute("aria-busy", "false");
  });
  return modal;
}
