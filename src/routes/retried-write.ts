import { conflictProblem } from "../lib/problem";

/*
 * A write decided on a read loses to a concurrent write that changed what it read (its
 * conditional batch then writes nothing). create-loan and make-payment decide again on fresh
 * data, a few times at most; a keyed request that lost every time may have lost to a copy of
 * itself (same Idempotency-Key), whose recorded answer is then its own.
 */

/** How often a request that keeps losing its write is decided again, in all. */
export const MAX_WRITE_ATTEMPTS = 3;

export interface RetriedWrite<T> {
  attempts: number;
  /** One read, decision and conditional write; null when a concurrent write got there first. */
  attempt: () => Promise<T | null>;
  /** The answer of a copy of this request recorded meanwhile, or null (none, or no key). */
  replayCopy: () => Promise<T | null>;
  /** The 409's detail when neither the attempts nor a copy gave an answer. */
  conflictDetail: string;
}

export async function retriedWrite<T>(write: RetriedWrite<T>): Promise<T> {
  for (let attempt = 1; attempt <= write.attempts; attempt++) {
    const answer = await write.attempt();
    if (answer !== null) return answer;
  }
  const copy = await write.replayCopy();
  if (copy !== null) return copy;
  throw conflictProblem(write.conflictDetail, 1);
}
