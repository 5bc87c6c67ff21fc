import { ProblemError } from "./problem";

/** Seconds a client refused by a stopping server waits before it retries (another, or this one restarted). */
const STOPPING_RETRY_AFTER_S = 1;

/**
 * The 503 for a request the runtime's edge took after its server began to stop (the Node server's
 * drain, src/node/draining.ts), which the client may retry: nothing was read or written. Thrown by
 * the app (apiAccess, before any key, limit or body), not the edge, so that it carries what every
 * answer does: the caller's request id, the security headers and, for an allowed origin, CORS.
 */
export function serverStoppingProblem(): ProblemError {
  return new ProblemError({
    kind: "service-unavailable",
    detail: "The server is shutting down and did not start this request: retry it.",
    headers: { "Retry-After": String(STOPPING_RETRY_AFTER_S) },
  });
}
