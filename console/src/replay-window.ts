/*
 * How long after its first send the console sends a request again under its Idempotency-Key as a
 * replay. The API keeps a key's answer 24 hours from when it stores it (IDEMPOTENCY_TTL_MS in
 * src/db/idempotency.ts, which the console cannot import; a test ties the two); past that, the
 * request sent again is done again. Both times compared are the browser's, so its clock's steady
 * offset from the server's cancels, and the API stores the answer after the send, never before:
 * the hour less is for the browser's clock set back between the send and the resend.
 */
export const REPLAYABLE_FOR_MS = 23 * 60 * 60 * 1000;
