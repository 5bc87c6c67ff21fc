import type { AppSettings } from "../config";
import type { AppBindings } from "../http/app-env";
import type { IngestMessage } from "../ingest/messages";

/**
 * Bindings and variables the Worker reads; src/worker/config.ts parses the settings among them
 * once. Secrets (INGEST_TOKEN, API_KEYS, DATABASE_URL, DATABASE_AUTH_TOKEN) are set with
 * `wrangler secret put`.
 */
export interface Env extends AppBindings, AppSettings {
  /** The D1 binding (`wrangler.toml`); the default database. */
  DB?: D1Database;
  INGEST_QUEUE: Queue<IngestMessage>;
  /** A Turso / libSQL URL (a secret). When set, it wins over D1. */
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
  /**
   * `"true"` adds `Server-Timing: db;dur=…;desc="<n> round trips"` to every response: the D1
   * round trips the request made and the time spent awaiting them (src/worker/server-timing.ts).
   * Off by default: it reveals internals. Nothing is counted on libSQL (`DATABASE_URL`).
   */
  SERVER_TIMING?: string;
  /**
   * Workers Analytics Engine dataset for the metrics (src/worker/analytics.ts); metrics are off
   * when it is not bound.
   */
  METRICS?: AnalyticsEngineDataset;
}
