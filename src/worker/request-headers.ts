import { shadowHeaders } from "../lib/shadow-headers";

/*
 * RFC 9110 leaves whitespace at either end of a header value out of the value, and Node's HTTP
 * parser drops it; workerd hands a raw request's values over as sent. So `Idempotency-Key: k ` or
 * a bookmark followed by a space was a 400 on the Worker and accepted on the Node server.
 */
const EDGE_WHITESPACE = /^[\t ]+|[\t ]+$/g;
const HAS_EDGE_WHITESPACE = /^[\t ]|[\t ]$/;

/**
 * The request with every header value trimmed, as Node would have parsed it; a request with
 * nothing to trim, nearly every one, is passed on as it is. Trimmed by hand: workerd copies one
 * `Headers` into another as it stands.
 *
 * The trimmed headers shadow the request's own; the request itself is kept. A copy made with
 * `new Request(request, { headers })` took the body over, and when the app answered without
 * reading it (a 413, 401, 404 or 415) `wrangler dev` failed the next request to reach it, another
 * client's POST included, with a 503 "Your worker restarted mid-request", not done.
 */
export function withTrimmedHeaders(request: Request): Request {
  if (!needsTrimming(request.headers)) return request;
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    headers.append(name, value.replace(EDGE_WHITESPACE, ""));
  }
  shadowHeaders(request, headers);
  return request;
}

/** Stops at the first value to trim, and copies nothing on the way (this runs on every request). */
function needsTrimming(headers: Headers): boolean {
  for (const [, value] of headers) if (HAS_EDGE_WHITESPACE.test(value)) return true;
  return false;
}
