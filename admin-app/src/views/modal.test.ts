// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { h } from "../dom";
import { closeAllModals, openModal, openModalCount } from "./modal";

const key = (k: string, shiftKey = false) =>
  document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key: k, shiftKey, bubbles: true, cancelable: true }));

let opener: HTMLButtonElement;
beforeEach(() => {
  document.body.replaceChildren(h("div", { id: "app" }, (opener = h("button", null, "Open"))));
  opener.focus();
});
afterEach(() => closeAllModals());

function open(name: string, onClose = () => {}) {
  return openModal({
    labelledBy: `${name}-title`,
    content: [h("h2", { id: `${name}-title` }, name), h("button", { id: `${name}-a` }, "A"), h("button", { id: `${name}-b` }, "B")],
    onClose,
  });
}

describe("modal dialogs", () => {
  it("is a labelled modal dialog that takes focus and makes the page behind inert", () => {
    const m = open("one");
    expect(m.dialog.getAttribute("role")).toBe("dialog");
    expect(m.dialog.getAttribute("aria-modal")).toBe("true");
    expect(m.dialog.getAttribute("aria-labelledby")).toBe("one-title");
    expect(document.activeElement?.id).toBe("one-a");
    expect(document.getElementById("app")!.hasAttribute("inert")).toBe(true);
  });

  it("keeps Tab inside the dialog, both ways", () => {
    open("one");
    document.getElementById("one-b")!.focus();
    key("Tab");
    expect(document.activeElement?.id).toBe("one-a");
    key("Tab", true);
    expect(document.activeElement?.id).toBe("one-b");
  });

  it("closes on Escape, gives the page back and returns focus to the opener", () => {
    const onClose = vi.fn();
    open("one", onClose);
    key("Escape");
    expect(onClose).toHaveBeenCalledOnce();
    expect(openModalCount()).toBe(0);
    expect(document.getElementById("app")!.hasAttribute("inert")).toBe(false);
    expect(document.activeElement).toBe(opener);
  });

  it("Escape closes only the topmost of two", () => {
    const first = open("one");
    open("two");
    expect(first.dialog.closest(".modal-backdrop")!.hasAttribute("inert")).toBe(true);
    key("Escape");
    expect(openModalCount()).toBe(1);
    expect(first.isOpen()).toBe(true);
    expect(first.dialog.closest(".modal-backdrop")!.hasAttribute("inert")).toBe(false);
    expect(document.activeElement?.id).toBe("one-a");
  });

  it("does not close on Escape while it may not be dismissed", () => {
    let busy = true;
    const m = openModal({ labelledBy: "x", content: [h("button", null, "A")], canDismiss: () => !busy });
    key("Escape");
    expect(m.isOpen()).toBe(true);
    busy = false;
    key("Escape");
    expect(m.isOpen()).toBe(false);
  });
});
