import { h } from "./render";

/*
 * What a form shows while its request is in flight, which on a bad connection is seconds (the
 * console waits 45 s): the form is aria-busy, its button reads its data-busy-label ("Booking…")
 * and a polite status says it once. Before, a disabled button was all, and a screen reader said
 * nothing.
 */
export interface Busy {
  start(): void;
  end(): void;
}

export function busyIndicator(form: HTMLFormElement, button: HTMLButtonElement | null): Busy {
  const label = button?.dataset.busyLabel ?? "Sending…";
  if (button) {
    // Both labels share one cell, so the button keeps its size (nothing moves under the pointer)
    // and its name ("Book"): the status below is what a screen reader hears, once.
    button.replaceChildren(
      h("span", { class: "label" }, button.textContent ?? ""),
      h("span", { class: "busy-label", "aria-hidden": "true" }, label),
    );
  }
  // After the form, not in it: a live region inside an aria-busy element may be held back until
  // the element is no longer busy, which is when there is nothing left to say.
  const status = h("p", { class: "visually-hidden", role: "status" });
  form.after(status);
  return {
    start() {
      form.setAttribute("aria-busy", "true");
      if (button) button.disabled = true;
      status.textContent = label;
    },
    end() {
      form.removeAttribute("aria-busy");
      if (button) button.disabled = false;
      status.textContent = "";
    },
  };
}
