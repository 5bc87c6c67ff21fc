import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppConfig } from "../../config";
import { BOOKMARK_HEADER } from "../../lib/bookmark-header";

/**
 * CORS for browser clients, off unless `CORS_ORIGINS` is set: `*` for any origin, or a
 * comma-separated list of exact origins. No cookies are used, so credentials are never allowed.
 */
export function configurableCors(
  exposeHeaders: string[],
): MiddlewareHandler<{ Variables: { config: AppConfig } }> {
  // One handler per configuration (a runtime has one; tests switch between a few).
  const byOrigins = new WeakMap<string[], MiddlewareHandler>();
  return async (c, next) => {
    const origins = c.get("config").corsOrigins;
    if (origins.length === 0) return next();
    let handler = byOrigins.get(origins);
    if (!handler) {
      handler = cors({
        origin: origins.includes("*") ? "*" : origins,
        allowMethods: ["GET", "POST", "OPTIONS"],
        // X-Request-Id: the API echoes a caller's own id, so a browser may send one.
        allowHeaders: [
          "Content-Type",
          "Authorization",
          "Idempotency-Key",
          "X-Request-Id",
          BOOKMARK_HEADER,
        ],
        // The OpenAPI document's response headers (src/lib/openapi-headers.ts): a hand-kept list
        // left out Allow and WWW-Authenticate, which browsers then read as null.
        exposeHeaders,
        maxAge: 600,
      });
      byOrigins.set(origins, handler);
    }
    return handler(c, next);
  };
}
