/**
 * Carries a D1 session's bookmark between requests, in both directions (src/lib/read-consistency.ts).
 * Written once: the app, its CORS, its OpenAPI document, the typed client and the console use it.
 */
export const BOOKMARK_HEADER = "x-d1-bookmark";

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
