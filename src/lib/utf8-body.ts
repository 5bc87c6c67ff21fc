import type { Context, MiddlewareHandler } from "hono";
import { isJsonMediaType, presentJsonAsCanonical } from "./json-media-type";
import { ProblemError } from "./problem";

/*
 * JSON travels as UTF-8 (RFC 8259 §8.1). The runtimes' `text()` reads a byte that is no UTF-8 as
 * U+FFFD and goes on, so a client sending Latin-1 (a `charset=iso-8859-1` label changes nothing)
 * registered "José" as "Jos\uFFFD", answered 201, on both backends. The body is decoded here
 * strictly instead, and a byte that is no UTF-8 is a 400 naming the body.
 */

/** Strips a leading byte order mark, as `text()` does; throws on a byte that is no UTF-8. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function notUtf8Problem(): ProblemError {
  return new ProblemError({
    kind: "malformed-json",
    detail:
      "The request body is not UTF-8: send JSON encoded as UTF-8, whatever the Content-Type's charset says.",
    errors: [{ field: "body", message: "is not valid UTF-8" }],
  });
}

/**
 * Reads the request body strictly as UTF-8 and leaves the text where `c.req.json()` and
 * `c.req.text()` read it (Hono's body cache, holding each body read as a promise), so the body is
 * decoded once, as before. A body that cannot be read (the client gone mid-body) is left to the
 * JSON read, which answers it as it did.
 */
export async function decodeBodyAsUtf8(c: Context): Promise<void> {
  let bytes: ArrayBuffer;
  try {
    bytes = await c.req.arrayBuffer();
  } catch {
    return;
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw notUtf8Problem();
  }
  // Typed as the value; Hono keeps (and its json() awaits) the promise of it.
  Object.assign(c.req.bodyCache, { text: Promise.resolve(text) });
}

/**
 * The JSON routes' middleware (run before their validators): a JSON body, in any form of its
 * Content-Type, reaches them as `application/json` and must be UTF-8. A body of another media
 * type is left to the route's 415.
 */
export const utf8JsonBody: MiddlewareHandler = async (c, next) => {
  if (isJsonMediaType(c.req.header("Content-Type"))) {
    presentJsonAsCanonical(c.req.raw);
    await decodeBodyAsUtf8(c);
  }
  await next();
};
