import { shadowHeaders } from "./shadow-headers";

/*
 * Which Content-Type is JSON, by RFC 9110 §8.3.1: the type and subtype are case-insensitive
 * tokens, and each parameter follows optional whitespace and a ";" and may be empty. JSON is
 * `application/json` or a subtype ending in `+json` (RFC 6839). @hono/zod-openapi's 415 gate reads
 * a narrower grammar (no whitespace before a ";", nothing after a last ";", only letters, "-" and
 * "." before "+json"), so `application/json ; charset=utf-8`, `application/json;` and
 * `application/vnd.lender.v2+json` were a 415 on both runtimes.
 */

/** A subtype's token characters (RFC 9110 §5.6.2), "+" among them, before a final `+json`. */
const JSON_ESSENCE = /^application\/(?:[!#$%&'*+.^_`|~0-9a-z-]+\+)?json$/i;

/**
 * The values @hono/zod-openapi's gate takes as they are (its own pattern), the usual
 * `application/json; charset=utf-8` among them: those need no copy of the headers, 2–3 µs a
 * request. test/routes/content-type.test.ts sends every form through the routes.
 */
const ROUTE_GATE_TAKES = /^application\/([a-z.-]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/** The form every JSON reader on the way takes, whatever the parsers' grammars. */
const CANONICAL_JSON = "application/json";

/** Whether a Content-Type value names JSON; its parameters (a charset) change nothing. */
export function isJsonMediaType(contentType: string | null | undefined): boolean {
  const essence = contentType?.split(";", 1)[0]?.trim() ?? "";
  return JSON_ESSENCE.test(essence);
}

/**
 * Shows a JSON body's Content-Type to the rest of the request's handling as `application/json`,
 * so the route's 415 gate and validator take every JSON form this module does. The new headers
 * shadow the request's own, as the Worker's trimmed ones do.
 */
export function presentJsonAsCanonical(request: Request): void {
  const contentType = request.headers.get("Content-Type");
  if (contentType === null || ROUTE_GATE_TAKES.test(contentType)) return;
  if (!isJsonMediaType(contentType)) return;
  const headers = new Headers();
  // forEach, not for…of: a consumer compiling the typed client may have no DOM.Iterable lib.
  request.headers.forEach((value, name) => {
    headers.append(name, value);
  });
  headers.set("Content-Type", CANONICAL_JSON);
  shadowHeaders(request, headers);
}
