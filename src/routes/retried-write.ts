import { conflictProblem, serviceUnavailableProblem } from "../lib/problem";

/*
 * A write decided on a read loses to a concurrent write that changed what it read (its
 * conditional batch then writes nothing). create-loan, and make-payment with an Idempotency-Key,
 * decide again on fresh data, a few times at most (make-payment without a key tries once and
 * answers 409, src/routes/servicing/make-payment.ts); a keyed request that lost every time may
 * have lost to a copy of itself (same Idempotency-Key), whose recorded answer is then its own.
 *
 * A keyed request that lost every attempt and finds no copy recorded answers 503 with
 * Retry-After, not 409: it was not done, and under its key nothing was answered yet (a 409 is
 * not stored), so the key's answer is still to come — from a copy of it still in flight, or from
 * the retry. A 409 is a final answer to a client's retry policy; this one is not. Without a key
 * the 409 stays: a retry would be a new request on the changed state, the caller's to decide.
 */

/** How often a request that keeps losing its write is decided again, in all. */
export const MAX_WRITE_ATTEMPTS = 3;

/** Seconds a keyed request that lost every attempt waits before it is sent again. */
const CONTENDED_RETRY_AFTER_SECONDS = 1;

export interface RetriedWrite<T> {
  attempts: number;
  /** One read, decision and conditional write; null when a concurrent write got there first. */
  attempt: () => Promise<T | null>;
  /**
   * With an Idempotency-Key: the answer of a copy of this request recorded meanwhile, or null.
   * Null without a key.
   */
  replayCopy: (() => Promise<T | null>) | null;
  /** The 409's detail, without a key, when the attempts gave no answer. */
  conflictDetail: string;
  /** The 503's detail, with a key, when neither the attempts nor a copy gave an answer. */
  contendedDetail: string;
}

export async function retriedWrite<T>(write: RetriedWrite<T>): Promise<T> {
  for (let attempt = 1; attempt <= write.attempts; attempt++) {
    const answer = await write.attempt();
    if (answer !== null) return answer;
  }
  if (write.replayCopy === null) throw conflictProblem(write.conflictDetail, 1);
  const copy = await write.replayCopy();
  if (copy !== null) return copy;
  throw serviceUnavailableProblem(write.contendedDetail, CONTENDED_RETRY_AFTER_SECONDS);
}
