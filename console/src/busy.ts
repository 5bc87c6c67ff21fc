import { h } from "./render";

/*
 * What a form (or a list loading its next page) shows while its request is in flight, which on a
 * bad connection is seconds (the console waits 45 s): it is aria-busy, its button reads its
 * data-busy-label ("Booking…") and a polite status says it once. Before, a disabled button was
 * all, and a screen reader said nothing. The same status then says the answer in a sentence: the
 * result itself is in no live region, where a statement's whole schedule was read aloud.
 */
export interface Busy {
  /** `quiet`: a read the officer did not ask for (the loan after a payment) says nothing. */
  start(quiet?: boolean): void;
  /**
   * `announcement`: the answer in a sentence, said once. After an error, none (its alert or its
   * field taking the focus says it), but a field's message where the focus already was.
   */
  end(announcement?: string): void;
}

/**
 * A status for busyIndicator, put after `element`, not in it: a live region inside an aria-busy
 * element may be held back until it is no longer busy, when there is nothing left to say.
 */
export function statusAfter(element: HTMLElement): HTMLElement {
  const status = h("p", { class: "visually-hidden", role: "status" });
  element.after(status);
  return status;
}

export function busyIndicator(
  region: HTMLElement,
  button: HTMLButtonElement | null,
  status: HTMLElement,
): Busy {
  const label = button?.dataset.busyLabel ?? "Sending…";
  if (button) {
    // Both labels share one cell, so the button keeps its size (nothing moves under the pointer)
    // and its name ("Book"): the status is what a screen reader hears, once.
    button.replaceChildren(
      h("span", { class: "label" }, button.textContent ?? ""),
      h("span", { class: "busy-label", "aria-hidden": "true" }, label),
    );
  }
  // Chrome moves the focus of a button it disables to <body>, where a keyboard or screen-reader
  // user lost their place: it goes back to the button, unless the answer focused something else.
  let hadFocus = false;
  return {
    start(quiet = false) {
      hadFocus = button !== null && document.activeElement === button;
      region.setAttribute("aria-busy", "true");
      if (button) button.disabled = true;
      status.textContent = quiet ? "" : label;
    },
    end(announcement = "") {
      region.removeAttribute("aria-busy");
      if (button) button.disabled = false;
      status.textContent = announcement;
      const focusLost = document.activeElement === null || document.activeElement === document.body;
      if (hadFocus && focusLost && button?.isConnected) button.focus();
    },
  };
}
