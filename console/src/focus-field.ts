/*
 * A field's message is said as the field takes the focus, with its label (aria-describedby). A
 * field that has the focus already (Enter pressed in it) does not take it again, and a screen
 * reader said nothing of "Amount is below this period's interest": its message is returned
 * instead, for a live region (the form's status) to say once.
 */
export function focusField(input: HTMLInputElement, message: string): string | undefined {
  if (document.activeElement === input) return message;
  input.focus();
  return undefined;
}
