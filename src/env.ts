import type { IngestMessage } from "./ingest/messages";

/** Bindings and variables the Worker reads. Secrets are set with `wrangler secret put`. */
export interface Env {
  DB: D1Database;
  /** Chunks of workbook rows on their way to the consumer. */
  INGEST_QUEUE: Queue<IngestMessage>;
  /** Bearer token of the ingest endpoints (a secret; `.dev.vars` locally). */
  INGEST_TOKEN?: string;
  /** Base delay of the consumer's exponential backoff, in seconds (default 2). */
  INGEST_RETRY_DELAY_SECONDS?: string;
  /** Pins the as-of date (`YYYY-MM-DD`) for tests and demos; empty means today (UTC). */
  AS_OF_DATE?: string;
}
