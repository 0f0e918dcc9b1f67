// The People dialog (admins): everyone who signed in — email, name, role,
// disabled, posts and bytes (from `GET /stats`), last sign-in — and, each
// after a confirmation, promote, demote, disable and enable.

import { h, icon } from "../dom";
import { isKind } from "../errors";
import { formatBytes, formatWhen } from "../format";
import type { LibraryStats, PeoplePage, Person, PersonChange, Totals } from "../types";
import { confirmDialog } from "./confirm";
import { openModal, type ModalHandle } from "./modal";

export type PeopleDeps = {
  myId: number;
  list: (cursor: string | null) => Promise<PeoplePage>;
  update: (id: number, change: PersonChange) => Promise<Person>;
  /** Owners' totals; the biggest hundred are named. */
  getStats: () => Promise<LibraryStats>;
  describe: (error: unknown) => string;
  onUnauthorized: (error: unknown) => void;
};

/** What a change does, as a question and a button. */
export function changeWords(person: Person, change: PersonChange): { title: string; message: string; label: string } {
  const who = person.name ? `${person.name} (${person.email})` : person.email;
  if (change.disabled === true) {
    return {
      title: "Disable account",
      message: `Disable ${who}? They are signed out everywhere and cannot sign in again until enabled. Their posts stay.`,
      label: "Disable",
    };
  }
  if (change.disabled === false) {
    return { title: "Enable account", message: `Enable ${who}? They can sign in again.`, label: "Enable" };
  }
  if (change.role === "admin") {
    return {
      title: "Make admin",
      message: `Make ${who} an admin? Admins see, change and delete everyone's posts and manage people.`,
      label: "Make admin",
    };
  }
  return { title: "Remove admin", message: `Make ${who} a regular user? They keep only their own posts.`, label: "Remove admin" };
}

const postsText = (usage: Totals | undefined) => (usage ? usage.posts.toLocaleString("en-US") : "—");
const bytesText = (usage: Totals | undefined) => (usage ? formatBytes(usage.bytes) : "—");

function row(person: Person, usage: Totals | undefined, deps: PeopleDeps, act: (p: Person, c: PersonChange) => void): HTMLTableRowElement {
  const me = person.id === deps.myId;
  const role = h(
    "span",
    { class: person.role === "admin" ? "badge badge-admin" : "badge" },
    person.role,
    person.adminByEmail ? h("span", { class: "visually-hidden" }, " (by ADMIN_EMAILS)") : null,
  );
  if (person.adminByEmail) role.title = "Admin because the server's ADMIN_EMAILS lists this email";
  const button = (label: string, change: PersonChange, attrs: Record<string, string> = {}) => {
    const b = h("button", { type: "button", class: "button small", ...attrs }, label);
    b.addEventListener("click", () => act(person, change));
    return b;
  };
  const actions: HTMLElement[] = [];
  if (!person.adminByEmail && !me) {
    actions.push(
      person.storedRole === "admin"
        ? button("Remove admin", { role: "user" }, { "data-action": "demote" })
        : button("Make admin", { role: "admin" }, { "data-action": "promote" }),
    );
  }
  if (!me) {
    actions.push(
      person.disabled
        ? button("Enable", { disabled: false }, { "data-action": "enable" })
        : button("Disable", { disabled: true }, { "data-action": "disable", class: "button small danger-outline" }),
    );
  }
  return h(
    "tr",
    { "data-person-id": person.id, "data-disabled": String(person.disabled) },
    h("th", { scope: "row" }, h("span", { class: "person-email" }, person.email), me ? h("span", { class: "muted" }, " (you)") : null),
    h("td", null, person.name ?? "—"),
    h("td", null, role),
    h("td", null, person.disabled ? h("span", { class: "badge badge-rejected" }, "disabled") : "active"),
    h("td", { class: "num person-posts" }, postsText(usage)),
    h("td", { class: "num person-bytes" }, bytesText(usage)),
    h("td", null, person.lastSignInAt ? formatWhen(person.lastSignInAt) : "never"),
    h("td", null, h("div", { class: "person-actions" }, ...actions)),
  );
}

export function openPeople(deps: PeopleDeps): ModalHandle {
  const status = h("p", { class: "muted", role: "status" }, "Loading…");
  const body = h("tbody");
  const more = h("button", { type: "button", class: "button", id: "people-more", hidden: true }, "Load more");
  const close = h("button", { type: "button", class: "icon-button", id: "people-close", "aria-label": "Close", title: "Close (Esc)" }, icon("close"));
  const tableEl = h(
    "table",
    { class: "stats-table people-table", id: "people-table" },
    h(
      "thead",
      null,
      h("tr", null, ...["Email", "Name", "Role", "Account", "Posts", "Size", "Last sign-in", ""].map((c) => h("th", { scope: "col" }, c))),
    ),
    body,
  );
  const modal = openModal({
    id: "people",
    className: "modal-people",
    labelledBy: "people-title",
    content: [h("div", { class: "modal-head" }, h("h2", { id: "people-title", class: "modal-title" }, "People"), close), status, tableEl, more],
    initialFocus: () => close,
  });
  close.addEventListener("click", () => modal.close());

  let cursor: string | null = null;
  let usage = new Map<string, Totals>();
  const people = new Map<number, Person>();
  const failed = (error: unknown) => {
    if (isKind(error, "unauthorized")) return deps.onUnauthorized(error);
    status.textContent = deps.describe(error);
    status.className = "form-error";
  };
  const render = (person: Person) => {
    people.set(person.id, person);
    const fresh = row(person, usage.get(String(person.id)), deps, act);
    const old = body.querySelector(`[data-person-id="${person.id}"]`);
    if (old) old.replaceWith(fresh);
    else body.appendChild(fresh);
  };
  const act = async (person: Person, change: PersonChange) => {
    const words = changeWords(person, change);
    let unauthorized: unknown = null;
    await confirmDialog({
      title: words.title,
      message: words.message,
      confirmLabel: words.label,
      busyLabel: "Saving…",
      confirmId: "confirm-person",
      cancelId: "cancel-person",
      danger: change.disabled === true,
      describe: deps.describe,
      action: async () => {
        try {
          render(await deps.update(person.id, change));
        } catch (e) {
          if (!isKind(e, "unauthorized")) throw e;
          unauthorized = e;
        }
      },
    });
    if (unauthorized) deps.onUnauthorized(unauthorized);
  };
  const load = async () => {
    more.disabled = true;
    try {
      const page = await deps.list(cursor);
      if (!modal.isOpen()) return;
      page.users.forEach(render);
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      status.textContent = `${people.size} ${people.size === 1 ? "person" : "people"}${cursor ? " so far" : ""}`;
    } catch (e) {
      failed(e);
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", () => void load());

  // The totals come from the API; without them the table still lists everyone.
  void deps.getStats().then(
    (stats) => {
      usage = new Map(stats.topOwners.map((o) => [o.ownerId, { posts: o.posts, bytes: o.bytes }]));
      // In place: the rows (and the focus on their buttons) stay.
      for (const tr of body.querySelectorAll<HTMLElement>("tr[data-person-id]")) {
        const totals = usage.get(tr.dataset.personId!);
        tr.querySelector(".person-posts")!.textContent = postsText(totals);
        tr.querySelector(".person-bytes")!.textContent = bytesText(totals);
      }
    },
    () => {},
  );
  void load();
  return modal;
}
