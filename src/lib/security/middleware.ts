import type { MiddlewareHandler } from "hono";
import type { AppConfig } from "../../config";
import { bearerToken } from "../bearer-token";
import { serviceUnavailableProblem, unauthorizedProblem } from "../problem";
import type { EdgeOf } from "../request-edge";
import { bytesToHex, sha256 } from "../sha256";
import { isKnownKey } from "./api-keys";
import { isRateLimitedWrite, needsApiKey } from "./paths";
import { type RateLimiter, tooManyRequests } from "./rate-limit";

/** Seconds a client refused by a stopping server waits before it retries (another, or this one restarted). */
const STOPPING_RETRY_AFTER_S = 1;

interface SecurityEnv {
  Bindings: { WRITE_RATE_LIMITER?: RateLimiter };
  Variables: { config: AppConfig };
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
      const { success } = await limiter.limit({ key: await clientKey(verifiedKey, address) });
      if (!success) throw tooManyRequests();
    }
    await next();
  };
}

/**
 * Limits count per API key when there is one, else per client address: the Node server's socket
 * address, or CF-Connecting-IP, which Cloudflare sets (it replaces any the client sent).
 */
async function clientKey(apiKey: string | null, address: string | undefined): Promise<string> {
  if (apiKey) return `key:${bytesToHex(await sha256(apiKey)).slice(0, 32)}`;
  return `ip:${address ?? "unknown"}`;
}
