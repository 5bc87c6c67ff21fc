import { ApiError, NotSent } from "./api";
import { fillForm } from "./forms";
import { h, localTime, show } from "./render";
import { REPLAYABLE_FOR_MS } from "./replay-window";

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

/** An unanswered request as kept: with when it was sent (absent in one kept by an older console). */
interface Kept extends Unanswered {
  sentAt?: number;
}

const storageKey = (name: string) => `credit-console-unanswered-${name}`;

/**
 * What a form's request does sent again once the API has forgotten its key, if it was done: said
 * before it is sent so. Null where that is harmless (a registration: its phone number is on file).
 */
export interface DoneAgain {
  /** "it books a second loan" */
  consequence: string;
  /** Where the officer looks first to see whether it was done: "the customer's loans". */
  lookIn: string;
}

/* When this page sent each request, by key, for rememberDone: a replay's answer is from then. */
const firstSent = new Map<string, number>();

/**
 * Runs the request with `sent` kept until the API answers it; no answer, or a 5xx, keeps it. Sent
 * again under the key of one the API no longer knows (the page left open a day after a lost
 * answer), it is not sent but said, once, with `doneAgain`: pressed again, it goes as a new request.
 */
export async function untilAnswered<T>(
  name: string,
  sent: Unanswered,
  request: () => Promise<T>,
  doneAgain: DoneAgain | null,
): Promise<T> {
  const earlier = read(storageKey(name));
  const again = earlier?.key === sent.key && !forgotten(earlier) ? earlier : null;
  if (doneAgain) refuseForgotten(name, sent, doneAgain);
  // A resend under the same key keeps the first time: the API's 24 hours run from that one.
  const sentAt = again?.sentAt ?? Date.now();
  firstSent.set(sent.key, sentAt);
  const kept: Kept = { ...sent, sentAt };
  sessionStorage.setItem(storageKey(name), JSON.stringify(kept));
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

/** Throws NotSent, once, for `sent` under a key the API has forgotten, unanswered or done. */
function refuseForgotten(name: string, sent: Unanswered, { consequence, lookIn }: DoneAgain) {
  const unanswered = read(storageKey(name));
  if (unanswered?.key === sent.key && forgotten(unanswered)) {
    sessionStorage.removeItem(storageKey(name));
    throw new NotSent(
      `Not sent: this was first sent ${sentWhen(unanswered)} and got no answer, and the API remembers a request for 24 hours only, so sent again now, if it was done, ${consequence}. Look for it first (${lookIn}); press again to send it anyway.`,
    );
  }
  // Done under this key (a booked form pressed again) longer ago than the API keeps its answer.
  const done = read(doneKey(name));
  if (done?.key === sent.key && forgotten(done)) {
    sessionStorage.removeItem(doneKey(name));
    throw new NotSent(
      `Not sent: this was done ${sentWhen(done)}, and the API remembers a request for 24 hours only, so sent again now it is taken as a new one: ${consequence}. Change the form to make another, or press again to send it anyway.`,
    );
  }
}

/**
 * The request a previous page of this tab sent under `name` and got no answer to, if any, while
 * the API still knows its key: sent again, it is replayed if it was done.
 */
export function unanswered(name: string): Unanswered | null {
  const kept = read(storageKey(name));
  return kept && !forgotten(kept) ? { key: kept.key, values: kept.values } : null;
}

/**
 * One sent under `name` too long ago for the API to know its key: sent again, it is done again if
 * it was done. The tab's session storage outlives a day (a tab left open over a weekend, a
 * restored session), and its note promised a replay: pressed again, a payment was paid twice.
 */
export function forgottenUnanswered(name: string): (Unanswered & { sentWhen: string }) | null {
  const kept = read(storageKey(name));
  if (!kept || !forgotten(kept)) return null;
  return { key: kept.key, values: kept.values, sentWhen: sentWhen(kept) };
}

/** When a forgotten request was sent, in the officer's time zone: "at 2026-12-04 18:05 IST". */
function sentWhen(kept: Kept): string {
  return kept.sentAt === undefined
    ? "at an unknown time"
    : `at ${localTime(new Date(kept.sentAt).toISOString())}`;
}

/*
 * Kept with no time (by the console of before it kept one, or written unreadable), a request may
 * be of any age: replayable, a payment lost on Friday and refilled after Monday's deploy was paid
 * again under a note saying nothing new would be.
 */
function forgotten(kept: Kept): boolean {
  return kept.sentAt === undefined || Date.now() - kept.sentAt >= REPLAYABLE_FOR_MS;
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
  /** Said instead when the API no longer knows its key, given when it was sent: nothing is refilled. */
  forgottenNote: (sentWhen: string) => string,
): Unanswered | null {
  const pending = unanswered(name);
  if (pending) {
    fillForm(form, pending.values);
    show(resultId, h("p", { class: "replayed" }, note));
    return pending;
  }
  const old = forgottenUnanswered(name);
  if (old) show(resultId, h("p", { class: "replayed" }, forgottenNote(old.sentWhen)));
  return null;
}

/*
 * The last request sent under `name` that the API answered by doing it (a booked loan). Back to
 * the page once it has left the back-forward cache, Chrome fills the form in again as it was,
 * with no input event: under a new key, pressing Book on it booked the same loan twice.
 */
const doneKey = (name: string) => `credit-console-done-${name}`;

export function rememberDone(name: string, sent: Unanswered): void {
  // The API keeps the answer 24 hours from its first time: a replay (pressed again, or a retry of
  // a lost answer, even the next day) renews nothing, so the time is of the first send.
  const earlier = read(doneKey(name));
  const kept: Kept = {
    ...sent,
    sentAt:
      (earlier?.key === sent.key && !forgotten(earlier) ? earlier.sentAt : undefined) ??
      firstSent.get(sent.key) ??
      Date.now(),
  };
  sessionStorage.setItem(doneKey(name), JSON.stringify(kept));
}

export function lastDone(name: string): Unanswered | null {
  return read(doneKey(name));
}

function read(storageName: string): Kept | null {
  try {
    const kept = JSON.parse(sessionStorage.getItem(storageName) ?? "null") as unknown;
    const { key, values, sentAt } = (kept ?? {}) as Partial<Kept>;
    if (typeof key !== "string" || typeof values !== "object" || values === null) return null;
    // A time Date can write (toISOString throws past ±8.64e15 ms); anything else reads as absent.
    return typeof sentAt === "number" && !Number.isNaN(new Date(sentAt).getTime())
      ? { key, values, sentAt }
      : { key, values };
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
