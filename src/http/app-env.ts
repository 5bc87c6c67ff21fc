import type { AppConfig } from "../config";
import type { Database } from "../db/database";
import type { ReadConsistency } from "../db/sessions";
import type { IngestQueue } from "../ingest/queue";
import type { RateLimiter } from "../lib/security/rate-limit";
import type { Telemetry } from "../telemetry";

/**
 * The objects the app is handed by its runtime: the Worker's bindings, or the Node server's own
 * implementations. Settings are not here: each runtime parses them once into an `AppConfig`
 * (src/config.ts), which the app reads from `c.get("config")`.
 */
export interface AppBindings {
  /** Chunks of workbook rows on their way to the consumer. */
  INGEST_QUEUE: IngestQueue;
  /** Limits writes per API key or client address (Workers rate-limiting binding). */
  WRITE_RATE_LIMITER?: RateLimiter;
}

/** Read with `c.get(name)`: Hono's `c.var` copies every variable into a new object on each access. */
export interface AppVariables {
  requestId: string;
  config: AppConfig;
  db: Database;
  /** The request's database session, where the runtime has them (src/http/read-consistency.ts). */
  readConsistency: ReadConsistency;
  /** The date every rule is evaluated on (`YYYY-MM-DD`), as the request arrived. */
  asOf: string;
  /** The as-of date at a write's decision, after its read. */
  asOfAt: AsOfAt;
  /** Where metrics go (src/telemetry.ts); a no-op unless the runtime gives one. */
  telemetry: Telemetry;
}

/**
 * The as-of date (`YYYY-MM-DD`) at an instant: the pinned AS_OF_DATE, or that instant's UTC date.
 * A write reads it when it decides, after its read, as a payment must never be dated before one
 * recorded while its body arrived.
 */
export type AsOfAt = (nowMs: number) => string;

/** What every handler sees on its context. */
export interface AppEnv {
  Bindings: AppBindings;
  Variables: AppVariables;
}
