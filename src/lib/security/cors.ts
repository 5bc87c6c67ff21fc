import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/**
 * CORS for browser clients, off unless `CORS_ORIGINS` is set: `*` for any origin, or a
 * comma-separated list of exact origins. No cookies are used, so credentials are never allowed.
 */
export function configurableCors(): MiddlewareHandler<{ Bindings: { CORS_ORIGINS?: string } }> {
  const bySetting = new Map<string, MiddlewareHandler>();
  return async (c, next) => {
    const setting = c.env.CORS_ORIGINS?.trim() ?? "";
    if (!setting) return next();
    let handler = bySetting.get(setting);
    if (!handler) {
      const origins = setting
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean);
      handler = cors({
        origin: origins.includes("*") ? "*" : origins,
        allowMethods: ["GET", "POST", "OPTIONS"],
        allowHeaders: ["Content-Type", "Authorization", "Idempotency-Key"],
        exposeHeaders: ["X-Request-Id", "Idempotent-Replayed", "Retry-After"],
        maxAge: 600,
      });
      bySetting.set(setting, handler);
    }
    return handler(c, next);
  };
}
