/**
 * Carries a D1 session's bookmark between requests, in both directions (src/http/read-consistency.ts).
 * Written once: the app, its CORS, its OpenAPI document, the typed client and the console use it.
 */
export const BOOKMARK_HEADER = "x-d1-bookmark";

/**
 * The values of the request header the server takes, written once for the check
 * (src/http/read-consistency.ts) and the OpenAPI document's `pattern` (src/lib/openapi-headers.ts):
 * the shape D1 hands out, four dash-separated hex groups (8-8-8-32), or empty, which names no point
 * and is the same as no header. The document's pattern refused "", which the server takes, so a
 * client validating against the document refused a request the server serves. A JSON Schema
 * pattern has no flags: both cases of hex are spelled out.
 */
export const BOOKMARK_PATTERN =
  "^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{8}-[0-9a-fA-F]{8}-[0-9a-fA-F]{32})?$";

/**
 * The more recent of two bookmarks. Responses to concurrent requests can arrive out of order, and
 * keeping the last one to arrive could step a session back. D1's bookmarks are groups of
 * fixed-width hex digits, so their text order is the order of the points they name.
 */
export function laterBookmark(kept: string | null, received: string | null): string | null {
  if (received === null) return kept;
  if (kept === null) return received;
  return received > kept ? received : kept;
}
