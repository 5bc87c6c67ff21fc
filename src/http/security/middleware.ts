import type { MiddlewareHandler } from "hono";
import type { AppConfig } from "../../config";
import { bearerToken } from "../../lib/bearer-token";
import { log } from "../../lib/log";
import { ProblemError, serviceUnavailableProblem, unauthorizedProblem } from "../../lib/problem";
import type { EdgeOf } from "../../lib/request-edge";
import { addressKey } from "../../lib/security/address-key";
import { isKnownKey } from "../../lib/security/api-keys";
import { isRateLimitedWrite, needsApiKey } from "../../lib/security/paths";
import { type RateLimiter, tooManyRequests } from "../../lib/security/rate-limit";
import { bytesToHex, sha256 } from "../../lib/sha256";

/** Seconds a client refused for an unavailable rate limiter waits, as for an unavailable database. */
const LIMITER_RETRY_AFTER_S = 1;

/** Seconds a client refused by a stopping server waits before it retries (another, or this one restarted). */
const STOPPING_RETRY_AFTER_S = 1;

interface SecurityEnv {
  Bindings: { WRITE_RATE_LIMITER?: RateLimiter };
  Variables: { config: AppConfig; requestId: string };
}

/**
 * Whether the request may be served now: not by a server that has begun to stop, then API keys
 * (when `API_KEYS` is set) and the write rate limit, in one place so that each request is checked
 * once, whichever of its two paths (`/x` or `/api/x`) it came by. One middleware for the three:
 * each layer costs every request (docs/performance.md).
 */
export function apiAccess(edgeOf: EdgeOf): MiddlewareHandler<SecurityEnv> {
  return async (c, next) => {
    const edge = edgeOf(c.req.raw);
    // A server that has begun to stop (the Node server's drain, src/node/draining.ts) starts
    // nothing: refused here, by the app, so the answer carries the request id, CORS and the rest.
    if (edge?.stopping) {
      throw serviceUnavailableProblem(
        "The server is shutting down and did not start this request: retry it.",
        STOPPING_RETRY_AFTER_S,
      );
    }
    const digests = c.get("config").apiKeyDigests;
    const key = bearerToken(c.req.header("Authorization"));
    if (digests.length > 0 && needsApiKey(c.req.path)) {
      if (!key) {
        throw unauthorizedProblem(
          "This API requires an API key: send Authorization: Bearer <key>.",
          "api",
        );
      }
      if (!(await isKnownKey(key, digests)))
        throw unauthorizedProblem("The API key is not valid.", "api");
    }
    const limiter = c.env.WRITE_RATE_LIMITER;
    if (limiter && isRateLimitedWrite(c.req.method, c.req.path)) {
      // A key counts only once it is verified: otherwise any made-up token would dodge the limit.
      const verifiedKey = digests.length > 0 ? key : null;
      const address = edge?.clientAddress ?? c.req.header("CF-Connecting-IP");
      if (!(await withinLimit(limiter, await clientKey(verifiedKey, address), c.get("requestId"))))
        throw tooManyRequests();
    }
    await next();
  };
}

/**
 * Whether one more write under `key` is within the limit. A limiter that fails — its `limit()`
 * rejects (the platform's limiter unreachable) or throws (a binding of another kind under the
 * name), or answers without a boolean `success` — refuses the write with 503 and Retry-After, as an
 * unavailable database does: the write is not done and the client retries it (docs/security.md,
 * "Write rate limit"). It answered 500, which reads as a bug, or 429 for an answer with no verdict.
 * Fails closed rather than letting writes through unlimited: the Node server's cluster worker
 * already answers 503 when its primary's limiter does not answer. A ProblemError (that 503) passes
 * through as it is.
 */
async function withinLimit(
  limiter: RateLimiter,
  key: string,
  requestId: string | undefined,
): Promise<boolean> {
  let verdict: unknown;
  try {
    verdict = (await limiter.limit({ key }))?.success;
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    throw limiterUnavailable(error, requestId);
  }
  if (typeof verdict !== "boolean") throw limiterUnavailable(undefined, requestId);
  return verdict;
}

function limiterUnavailable(error: unknown, requestId: string | undefined): ProblemError {
  // The error's class only, as for the database: a message is the platform's words, not ours.
  log("error", "write rate limiter unavailable (WRITE_RATE_LIMITER)", {
    error: error instanceof Error ? error.name : error === undefined ? "no verdict" : typeof error,
    request_id: requestId,
  });
  return new ProblemError({
    kind: "service-unavailable",
    detail:
      "The write rate limiter is unavailable, so this write was not done. Nothing was changed; retry the request.",
    errors: [
      {
        field: "WRITE_RATE_LIMITER",
        message: "did not answer whether this write is within the limit",
      },
    ],
    headers: { "Retry-After": String(LIMITER_RETRY_AFTER_S) },
  });
}

/**
 * Limits count per API key when there is one, else per client address (an IPv6 one by its /64):
 * the Node server's edge's (the socket's, or the one a trusted proxy's X-Forwarded-For names), or
 * CF-Connecting-IP, which Cloudflare sets (it replaces any the client sent).
 */
async function clientKey(apiKey: string | null, address: string | undefined): Promise<string> {
  if (apiKey) return `key:${bytesToHex(await sha256(apiKey)).slice(0, 32)}`;
  return addressKey(address);
}
