import type { Database } from "./db/client";
import type { IngestQueue } from "./ingest/queue";
import type { RateLimiter } from "./lib/security/rate-limit";
import type { Telemetry } from "./lib/telemetry";

/**
 * What the app reads from its environment, on either runtime: the Worker's bindings and secrets,
 * or the Node server's settings. Nothing here is Cloudflare-specific; how the database is reached
 * is decided once, by the factory given to `createApp`.
 */
export interface AppBindings {
  /** Chunks of workbook rows on their way to the consumer. */
  INGEST_QUEUE: IngestQueue;
  /** Bearer token of the ingest endpoints (a secret; `.dev.vars` locally). */
  INGEST_TOKEN?: string;
  /** Base delay of the consumer's exponential backoff, in seconds (default 2). */
  INGEST_RETRY_DELAY_SECONDS?: string;
  /** Pins the as-of date (`YYYY-MM-DD`) for tests and demos; empty means today (UTC). */
  AS_OF_DATE?: string;
  /** When set, API routes require one of these keys: `sha256:<hex>` digests, comma-separated. */
  API_KEYS?: string;
  /** Limits writes per API key or client address (Workers rate-limiting binding). */
  WRITE_RATE_LIMITER?: RateLimiter;
  /** Browser origins allowed by CORS: empty (off), `*`, or a comma-separated list. */
  CORS_ORIGINS?: string;
}

export interface AppVariables {
  requestId: string;
  db: Database;
  /** The date every rule is evaluated on (`YYYY-MM-DD`). */
  asOf: string;
  /** Where metrics go (src/lib/telemetry.ts); a no-op unless the runtime gives one. */
  telemetry: Telemetry;
}

/** What every handler sees on its context. */
export interface AppEnv {
  Bindings: AppBindings;
  Variables: AppVariables;
}
