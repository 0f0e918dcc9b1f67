// Modal dialogs: the rest of the page is inert, Tab stays inside, Escape
// closes the topmost one, focus goes back where it was.

import { focusables, h, type Child } from "../dom";

export type ModalOptions = {
  id?: string;
  /** id of the element that names the dialog */
  labelledBy: string;
  describedBy?: string;
  className?: string;
  content: Child[];
  /** What gets focus first; else the first focusable element. */
  initialFocus?: () => HTMLElement | null;
  /** Called once, however the dialog closes. */
  onClose?: () => void;
  /** Whether Escape / a click on the backdrop may close it now (e.g. not while deleting). */
  canDismiss?: () => boolean;
};

export type ModalHandle = {
  readonly dialog: HTMLElement;
  close(): void;
  isOpen(): boolean;
};

type Open = { backdrop: HTMLElement; dialog: HTMLElement; handle: ModalHandle; opener: Element | null; opts: ModalOptions };
const stack: Open[] = [];

/** What sits behind every modal: made inert while one is open. */
function background(): HTMLElement[] {
  return [...document.body.children].filter(
    (el): el is HTMLElement => el instanceof HTMLElement && !el.classList.contains("modal-backdrop"),
  );
}

function setInert(el: HTMLElement, inert: boolean): void {
  el.toggleAttribute("inert", inert);
  if (inert) el.setAttribute("aria-hidden", "true");
  else el.removeAttribute("aria-hidden");
}

function onKeydown(event: KeyboardEvent): void {
  const top = stack[stack.length - 1];
  if (!top) return;
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    if (top.opts.canDismiss?.() ?? true) top.handle.close();
    return;
  }
  if (event.key !== "Tab") return;
  const items = focusables(top.dialog);
  if (items.length === 0) {
    event.preventDefault();
    top.dialog.focus();
    return;
  }
  const first = items[0]!;
  const last = items[items.length - 1]!;
  const active = document.activeElement;
  const inside = active instanceof Node && top.dialog.contains(active);
  if (event.shiftKey && (active === first || !inside || active === top.dialog)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !inside)) {
    event.preventDefault();
    first.focus();
  }
}

function onFocusIn(event: FocusEvent): void {
  const top = stack[stack.length - 1];
  if (top && event.target instanceof Node && !top.dialog.contains(event.target)) {
    (focusables(top.dialog)[0] ?? top.dialog).focus();
  }
}

export function openModal(opts: ModalOptions): ModalHandle {
  const dialog = h(
    "div",
    {
      class: `modal ${opts.className ?? ""}`.trim(),
      role: "dialog",
      "aria-modal": "true",
      "aria-labelledby": opts.labelledBy,
      "aria-describedby": opts.describedBy,
      id: opts.id,
      tabindex: -1,
    },
    ...opts.content,
  );
  const backdrop = h("div", { class: "modal-backdrop" }, dialog);
  let open = true;

  const handle: ModalHandle = {
    dialog,
    isOpen: () => open,
    close() {
      if (!open) return;
      open = false;
      const index = stack.findIndex((m) => m.handle === handle);
      if (index >= 0) stack.splice(index, 1);
      backdrop.remove();
      const below = stack[stack.length - 1];
      if (below) {
        setInert(below.backdrop, false);
      } else {
        for (const el of background()) setInert(el, false);
        document.removeEventListener("keydown", onKeydown, true);
        document.removeEventListener("focusin", onFocusIn);
      }
      if (entry.opener instanceof HTMLElement && entry.opener.isConnected) entry.opener.focus();
      opts.onClose?.();
    },
  };

  // A press that starts and ends on the backdrop (not a text selection that slips out) closes.
  let downOnBackdrop = false;
  backdrop.addEventListener("mousedown", (e) => (downOnBackdrop = e.target === backdrop));
  backdrop.addEventListener("click", (e) => {
    if (downOnBackdrop && e.target === backdrop && (opts.canDismiss?.() ?? true)) handle.close();
  });

  const entry: Open = { backdrop, dialog, handle, opener: document.activeElement, opts };
  const top = stack[stack.length - 1];
  if (top) setInert(top.backdrop, true);
  else {
    for (const el of background()) setInert(el, true);
    document.addEventListener("keydown", onKeydown, true);
    document.addEventListener("focusin", onFocusIn);
  }
  stack.push(entry);
  document.body.appendChild(backdrop);
  (opts.initialFocus?.() ?? focusables(dialog)[0] ?? dialog).focus();
  return handle;
}

/** Closes every open dialog (sign-out, session expiry). */
export function closeAllModals(): void {
  while (stack.length) stack[stack.length - 1]!.handle.close();
}

export function openModalCount(): number {
  return stack.length;
}
