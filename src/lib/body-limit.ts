import type { Context, MiddlewareHandler, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ProblemError } from "./problem";

type BodyLimitOptions = Parameters<typeof bodyLimit>[0] & {
  onError: NonNullable<Parameters<typeof bodyLimit>[0]["onError"]>;
};

/**
 * Hono's bodyLimit, deciding from the request line and headers when they suffice: a GET or HEAD
 * has no body, and a body with a Content-Length (and no Transfer-Encoding) is judged on it, as
 * Hono itself does — the runtime never delivers more bytes than the header declares. Any other
 * body (chunked, or HTTP/2 without a Content-Length) goes on to Hono's check, which counts the
 * bytes as they stream.
 *
 * Why not Hono's alone: it starts by looking at `c.req.raw.body`, and on the Node server that
 * turns the adapter's lightweight request into a full Fetch Request with a web stream, for every
 * request (GETs included), and then the JSON body is read through that stream instead of from the
 * socket directly. Measured in docs/performance.md.
 */
export function declaredBodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const streamingLimit = bodyLimit(options);
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const declared = c.req.header("Content-Length");
    if (declared !== undefined && c.req.header("Transfer-Encoding") === undefined) {
      const length = Number.parseInt(declared, 10);
      return length > options.maxSize ? options.onError(c) : next();
    }
    return readWhole(c, next, streamingLimit);
  };
}

/**
 * Runs Hono's streaming check, which reads the body, and answers a body that fails as it is read
 * with a 400 naming it: the client closed the connection mid-body, or Node's parser refused its
 * chunked framing (a broken chunk or trailer, which the server's edge has answered). The client's
 * doing: it used to be an unhandled error, logged, and a 5xx in the metrics.
 */
async function readWhole(c: Context, next: Next, streamingLimit: MiddlewareHandler) {
  let read = false;
  try {
    return await streamingLimit(c, () => {
      read = true;
      return next();
    });
  } catch (error) {
    if (read || error instanceof ProblemError) throw error;
    throw new ProblemError({
      kind: "bad-request",
      detail: "The request body was cut short, or its chunked framing is broken.",
      errors: [{ field: "body", message: "did not arrive whole" }],
    });
  }
}
