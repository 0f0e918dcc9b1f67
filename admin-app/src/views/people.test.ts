// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { h } from "../dom";
import { flush } from "../test-support";
import type { LibraryStats, Person, PersonChange } from "../types";
import { closeAllModals } from "./modal";
import { changeWords, openPeople, type PeopleDeps } from "./people";

const $ = (sel: string) => document.querySelector<HTMLElement>(sel);
const person = (id: number, over: Partial<Person> = {}): Person => ({
  id,
  email: `p${id}@example.com`,
  name: null,
  role: "user",
  storedRole: "user",
  adminByEmail: false,
  disabled: false,
  createdAt: "2026-11-01T00:00:00Z",
  lastSignInAt: null,
  ...over,
});
const stats: LibraryStats = {
  total: { posts: 5, bytes: 5000 },
  byStatus: [],
  topOwners: [{ ownerId: "2", ownerEmail: "p2@example.com", ownerName: null, posts: 5, bytes: 5000 }],
  perDay: [],
};

function deps(over: Partial<PeopleDeps> = {}): PeopleDeps {
  return {
    myId: 1,
    list: vi.fn(async () => ({
      users: [person(1, { role: "admin", adminByEmail: true }), person(2, { name: "Grace" }), person(3, { disabled: true })],
      nextCursor: null,
    })),
    update: vi.fn(async (id: number, change: PersonChange) =>
      person(id, { ...change, storedRole: change.role ?? "user", role: change.role ?? "user", name: id === 2 ? "Grace" : null }),
    ),
    getStats: async () => stats,
    describe: (e) => `failed: ${(e as { message: string }).message}`,
    onUnauthorized: vi.fn(),
    ...over,
  };
}
const rowOf = (id: number) => $(`#people-table [data-person-id="${id}"]`)!;

beforeEach(() => document.body.replaceChildren(h("div", { id: "app" })));
afterEach(() => closeAllModals());

describe("people", () => {
  it("lists everyone with role, account, posts and size; no actions on oneself or on ADMIN_EMAILS roles", async () => {
    openPeople(deps());
    await flush();
    expect(rowOf(1).textContent).toContain("(you)");
    expect(rowOf(1).querySelectorAll("button")).toHaveLength(0);
    expect(rowOf(2).textContent).toContain("Grace");
    expect(rowOf(2).textContent).toContain("4.9 KB");
    expect(rowOf(3).textContent).toContain("disabled");
    expect(rowOf(3).textContent).toContain("—");
    expect(rowOf(2).querySelector('[data-action="promote"]')).not.toBeNull();
    expect(rowOf(3).querySelector('[data-action="enable"]')).not.toBeNull();
    expect($("#people")!.textContent).toContain("3 people");
  });

  it("disables someone after a confirmation that says what it does", async () => {
    const d = deps();
    openPeople(d);
    await flush();
    (rowOf(2).querySelector('[data-action="disable"]') as HTMLButtonElement).click();
    expect(document.body.textContent).toContain("Disable Grace (p2@example.com)? They are signed out everywhere");
    expect(d.update).not.toHaveBeenCalled();
    $("#confirm-person")!.click();
    await flush();
    expect(d.update).toHaveBeenCalledWith(2, { disabled: true });
    expect(rowOf(2).dataset.disabled).toBe("true");
    expect(rowOf(2).querySelector('[data-action="enable"]')).not.toBeNull();
  });

  it("a cancelled confirmation changes nothing", async () => {
    const d = deps();
    openPeople(d);
    await flush();
    (rowOf(2).querySelector('[data-action="promote"]') as HTMLButtonElement).click();
    $("#cancel-person")!.click();
    await flush();
    expect(d.update).not.toHaveBeenCalled();
  });

  it("keeps the dialog open with the server's reason when a change is refused", async () => {
    openPeople(deps({ update: async () => Promise.reject({ kind: "forbidden", message: "only admins manage users" }) }));
    await flush();
    (rowOf(2).querySelector('[data-action="promote"]') as HTMLButtonElement).click();
    $("#confirm-person")!.click();
    await flush();
    expect(document.querySelector(".form-error:not([hidden])")!.textContent).toBe("failed: only admins manage users");
  });

  it("pages with Load more", async () => {
    const list = vi
      .fn()
      .mockResolvedValueOnce({ users: [person(2)], nextCursor: "2" })
      .mockResolvedValueOnce({ users: [person(3)], nextCursor: null });
    openPeople(deps({ list }));
    await flush();
    expect($("#people-more")!.hidden).toBe(false);
    $("#people-more")!.click();
    await flush();
    expect(list).toHaveBeenLastCalledWith("2");
    expect(document.querySelectorAll("#people-table tbody tr")).toHaveLength(2);
    expect($("#people-more")!.hidden).toBe(true);
  });

  it("words each change", () => {
    expect(changeWords(person(5), { role: "admin" }).label).toBe("Make admin");
    expect(changeWords(person(5), { role: "user" }).label).toBe("Remove admin");
    expect(changeWords(person(5), { disabled: false }).message).toBe("Enable p5@example.com? They can sign in again.");
  });
});
