import type { MiddlewareHandler } from "hono";
import type { EdgeOf, HeaderSink } from "./request-edge";
import { needsApiKey } from "./security/paths";

/**
 * The browser-hardening headers every response carries: the set `hono/secure-headers` sends by
 * default, fixed here once instead of being rebuilt for each request.
 */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

export const REQUEST_ID_HEADER = "X-Request-Id";
export const MAX_REQUEST_ID_LENGTH = 255;
/** A caller's own id is echoed when it is this safe to log and to put in a header. */
export const SAFE_REQUEST_ID = /^[\w\-=]+$/;

/**
 * A request's id: the caller's `X-Request-Id` when it is safe, else a new UUID. The Node server's
 * HTTP edge answers with it too (src/node/client-errors.ts), so every answer echoes the same way.
 */
export function requestIdFor(offered: string | undefined): string {
  return offered !== undefined &&
    offered.length <= MAX_REQUEST_ID_LENGTH &&
    SAFE_REQUEST_ID.test(offered)
    ? offered
    : crypto.randomUUID();
}

/**
 * Gives each request its id (requestIdFor) and
 * stamps every response, refusals and errors included, with the id, the security headers, and
 * `Cache-Control: no-store` on the API's paths: their responses carry personal data, and no
 * shared cache may keep them. Stamped after the handler, through the edge when the runtime has
 * one (see request-edge.ts), otherwise onto the response's own headers.
 */
export function responseHeaders(edgeOf: EdgeOf): MiddlewareHandler<{
  Variables: { requestId: string };
}> {
  return async (c, next) => {
    const id = requestIdFor(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", id);
    await next();
    const headers = edgeOf(c.req.raw)?.response ?? new ResponseHeaders(c.res.headers);
    for (const [name, value] of SECURITY_HEADERS) headers.setHeader(name, value);
    headers.setHeader(REQUEST_ID_HEADER, id);
    if (needsApiKey(c.req.path)) headers.setHeader("Cache-Control", "no-store");
  };
}

/** The response's own headers, where the runtime has no edge (the Worker, in-process tests). */
class ResponseHeaders implements HeaderSink {
  constructor(private readonly headers: Headers) {}
  setHeader(name: string, value: string): void {
    this.headers.set(name, value);
  }
}
