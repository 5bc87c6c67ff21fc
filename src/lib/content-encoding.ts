import type { MiddlewareHandler } from "hono";
import { ProblemError } from "./problem";

/**
 * Refuses a request body sent with any `Content-Encoding` but identity, with 415 and
 * `Accept-Encoding: identity` (RFC 7694). Neither runtime decodes request bodies, so a gzip body
 * would otherwise fail as "not valid JSON" and a plain body labelled `br` would be accepted
 * under a false label. Decoding is deliberately not offered: the 64 KB limit counts the bytes
 * on the wire, and a small compressed body can expand to far more than that.
 */
export function identityEncodingOnly(): MiddlewareHandler {
  return async (c, next) => {
    const encoding = c.req.header("Content-Encoding");
    // A GET or HEAD has no body for the header to describe.
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    if (encoding === undefined || isIdentity(encoding)) return next();
    throw new ProblemError({
      kind: "unsupported-content-encoding",
      detail: `Content-Encoding "${encoding.slice(0, 40)}" is not supported: send the body uncompressed.`,
      errors: [{ field: "Content-Encoding", message: "must be identity or absent" }],
      headers: { "Accept-Encoding": "identity" },
    });
  };
}

/** An empty header, or only `identity` codings (a list may repeat it). */
function isIdentity(header: string): boolean {
  return header
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .every((coding) => coding === "" || coding === "identity");
}
