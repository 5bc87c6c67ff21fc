import { ApiError } from "./api";
import { fillForm } from "./forms";
import { h, show } from "./render";

/*
 * A registration, booking or payment sent and not answered yet, kept with its Idempotency-Key in
 * the tab's session storage. Reloaded mid-request, the form came back empty under a new key, and
 * the officer who typed it again booked (or paid) twice; restored, it is sent again under its key
 * and replayed.
 */

export interface Unanswered {
  key: string;
  values: Record<string, string | number>;
}

const storageKey = (name: string) => `credit-console-unanswered-${name}`;

/** Runs the request with `sent` kept until the API answers it; no answer, or a 5xx, keeps it. */
export async function untilAnswered<T>(
  name: string,
  sent: Unanswered,
  request: () => Promise<T>,
): Promise<T> {
  sessionStorage.setItem(storageKey(name), JSON.stringify(sent));
  try {
    const answer = await request();
    sessionStorage.removeItem(storageKey(name));
    return answer;
  } catch (error) {
    // A 4xx refused the request, so nothing was written; a 5xx or no answer may hide a commit.
    if (error instanceof ApiError && error.status < 500)
      sessionStorage.removeItem(storageKey(name));
    throw error;
  }
}

/** The request a previous page of this tab sent under `name` and got no answer to, if any. */
export function unanswered(name: string): Unanswered | null {
  return read(storageKey(name));
}

/**
 * A new page's form: the request left unanswered under `name`, if any, filled in again as it was
 * sent, with `note` (that it may have been done) in the result region `resultId`.
 */
export function restoreUnanswered(
  form: HTMLFormElement,
  name: string,
  resultId: string,
  note: string,
): Unanswered | null {
  const pending = unanswered(name);
  if (pending) {
    fillForm(form, pending.values);
    show(resultId, h("p", { class: "replayed" }, note));
  }
  return pending;
}

/*
 * The last request sent under `name` that the API answered by doing it (a booked loan). Back to
 * the page once it has left the back-forward cache, Chrome fills the form in again as it was,
 * with no input event: under a new key, pressing Book on it booked the same loan twice.
 */
const doneKey = (name: string) => `credit-console-done-${name}`;

export function rememberDone(name: string, sent: Unanswered): void {
  sessionStorage.setItem(doneKey(name), JSON.stringify(sent));
}

export function lastDone(name: string): Unanswered | null {
  return read(doneKey(name));
}

function read(storageName: string): Unanswered | null {
  try {
    const kept = JSON.parse(sessionStorage.getItem(storageName) ?? "null") as unknown;
    const { key, values } = (kept ?? {}) as Partial<Unanswered>;
    return typeof key === "string" && typeof values === "object" && values !== null
      ? { key, values }
      : null;
  } catch {
    return null;
  }
}

/**
 * The kept request's key when `values` are the ones it sent, else `key`. Cleared and typed again
 * the same after a reload, a booking went under a new key and was booked twice. Values are
 * compared as sent (numbers read as numbers), so "50000.00" matches 50000 as the API would.
 */
export function keyFor(name: string, values: Unanswered["values"], key: string): string {
  const kept = unanswered(name);
  if (kept && sameValues(kept.values, values)) return kept.key;
  // The done request's key, kept by a new page for a form refilled as it was, is for those values
  // only: the API refuses a key sent again with another body (422).
  const done = lastDone(name);
  if (done?.key === key && !sameValues(done.values, values)) return crypto.randomUUID();
  return key;
}

function sameValues(a: Unanswered["values"], b: Unanswered["values"]): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((field) => a[field] === b[field]);
}
