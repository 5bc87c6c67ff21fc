import type { AppBindings } from "../app-env";
import type { IngestMessage } from "../ingest/messages";
import type { DatabaseBindings } from "./database";

/**
 * Bindings and variables the Worker reads. Secrets (INGEST_TOKEN, DATABASE_URL,
 * DATABASE_AUTH_TOKEN) are set with `wrangler secret put`.
 */
export interface Env extends AppBindings, DatabaseBindings {
  INGEST_QUEUE: Queue<IngestMessage>;
  /**
   * `"true"` adds `Server-Timing: db;dur=…;desc="<n> round trips"` to every response: the D1
   * round trips the request made and the time spent awaiting them (src/worker/server-timing.ts).
   * Off by default: it reveals internals. Nothing is counted on libSQL (`DATABASE_URL`).
   */
  SERVER_TIMING?: string;
  /** Months decision records are kept before the scheduled sweep deletes them (default 25). */
  DECISION_RETENTION_MONTHS?: string;
}
