import type { MiddlewareHandler } from "hono";
import { ProblemError } from "./problem";
import type { EdgeOf } from "./request-edge";

/** Seconds a client refused by a stopping server waits before it retries (another, or this one restarted). */
const STOPPING_RETRY_AFTER_S = 1;

/**
 * Refuses a request the runtime's edge took after its server began to stop (the Node server's
 * drain, src/node/draining.ts) with a 503 the client may retry, before anything is read or written.
 * Answered by the app rather than the edge so that it carries what every answer does: the
 * caller's request id, the security headers and, for a browser on an allowed origin, CORS.
 */
export function refuseWhileStopping(edgeOf: EdgeOf): MiddlewareHandler {
  return async (c, next) => {
    if (edgeOf(c.req.raw)?.stopping) {
      throw new ProblemError({
        kind: "service-unavailable",
        detail: "The server is shutting down and did not start this request: retry it.",
        headers: { "Retry-After": String(STOPPING_RETRY_AFTER_S) },
      });
    }
    await next();
  };
}
