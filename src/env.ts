/** Bindings and variables the Worker reads. Secrets are set with `wrangler secret put`. */
export interface Env {
  DB: D1Database;
  /** Pins the as-of date (`YYYY-MM-DD`) for tests and demos; empty means today (UTC). */
  AS_OF_DATE?: string;
}
