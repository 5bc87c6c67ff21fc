/**
 * Carries a D1 session's bookmark between requests, in both directions (src/lib/read-consistency.ts).
 * Written once: the app, its CORS, its OpenAPI document, the typed client and the console use it.
 */
export const BOOKMARK_HEADER = "x-d1-bookmark";
