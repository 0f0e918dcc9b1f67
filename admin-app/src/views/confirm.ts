// "Are you sure?" with Cancel (focused first: the safe choice) and a confirm
// button that runs the action and shows its error in place.

import { h } from "../dom";
import { openModal } from "./modal";

export type ConfirmOptions = {
  title: string;
  message: string;
  confirmLabel: string;
  busyLabel: string;
  confirmId?: string;
  cancelId?: string;
  danger?: boolean;
  /** Runs on confirm; a rejection keeps the dialog open with `describe(error)` shown. */
  action: () => Promise<void>;
  describe: (error: unknown) => string;
};

let seq = 0;

/** Resolves true when the action ran to the end, false when cancelled. */
export function confirmDialog(opts: ConfirmOptions): Promise<boolean> {
  seq += 1;
  const titleId = `confirm-title-${seq}`;
  const messageId = `confirm-message-${seq}`;
  return new Promise((resolve) => {
    let busy = false;
    let succeeded = false;
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const cancel = h("button", { type: "button", id: opts.cancelId, class: "button" }, "Cancel");
    const confirm = h(
      "button",
      { type: "button", id: opts.confirmId, class: opts.danger ? "button danger" : "button primary" },
      opts.confirmLabel,
    );
    const modal = openModal({
      className: "modal-small",
      labelledBy: titleId,
      describedBy: messageId,
      content: [
        h("h2", { id: titleId, class: "modal-title" }, opts.title),
        h("p", { id: messageId }, opts.message),
        error,
        h("div", { class: "modal-actions" }, cancel, confirm),
      ],
      initialFocus: () => cancel,
      canDismiss: () => !busy,
      onClose: () => resolve(succeeded),
    });
    cancel.addEventListener("click", () => modal.close());
    confirm.addEventListener("click", async () => {
      if (busy) return;
      busy = true;
      cancel.disabled = true;
      confirm.disabled = true;
      confirm.textContent = opts.busyLabel;
      error.hidden = true;
      try {
        await opts.action();
        succeeded = true;
        modal.close();
      } catch (e) {
        busy = false;
        cancel.disabled = false;
        confirm.disabled = false;
        confirm.textContent = opts.confirmLabel;
        error.textContent = opts.describe(e);
        error.hidden = false;
        confirm.focus();
      }
    });
  });
}
