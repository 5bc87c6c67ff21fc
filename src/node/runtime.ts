import { fileURLToPath } from "node:url";
import type { Client } from "@libsql/client";
import { createApp } from "../app";
import type { AppBindings } from "../app-env";
import type { Database } from "../db/client";
import { consumeIngestBatch } from "../ingest/consumer";
import { QUEUE_SETTINGS } from "../ingest/queue";
import { log } from "../lib/log";
import { MemoryRateLimiter } from "../lib/security/rate-limit";
import { noTelemetry } from "../lib/telemetry";
import { openLibsqlDatabase } from "./database";
import { startMaintenanceTimer } from "./maintenance-timer";
import { MemoryQueue } from "./memory-queue";
import { createNodeMetrics, type NodeMetrics } from "./metrics";
import { metricsRoute } from "./metrics-route";
import { applyMigrations, readMigrations } from "./migrations";

/*
 * The app as the Node server runs it, without the HTTP listener (tests use it directly): the same
 * Hono app and queue consumer as the Worker, over a libSQL database and an in-process queue.
 */

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

export interface RuntimeOptions {
  databaseUrl: string;
  databaseAuthToken?: string | undefined;
  ingestToken?: string | undefined;
  asOfDate?: string | undefined;
  retryDelaySeconds?: string | undefined;
  apiKeys?: string | undefined;
  corsOrigins?: string | undefined;
  /** Writes per minute per client; unset: no limit (tests). */
  rateLimitPerMinute?: number | undefined;
  /** How long a query waits for another connection's lock before answering 503 (default 5 s). */
  busyTimeoutMs?: number;
  /** Overrides the batch timeout of both queues (tests deliver faster). */
  queueBatchTimeoutMs?: number;
  /** Overrides the hourly maintenance sweep's interval (tests sweep sooner). */
  maintenanceIntervalMs?: number;
  /** Prometheus metrics at GET /metrics (src/node/metrics.ts); off unless asked for. */
  metrics?: boolean;
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
}

export interface Runtime {
  fetch: (request: Request, overrides?: Partial<AppBindings>) => Promise<Response>;
  bindings: AppBindings;
  db: Database;
  client: Client;
  queue: MemoryQueue;
  /** The metrics, when on. */
  metrics: NodeMetrics | null;
  /** Migrations applied at open. */
  migrated: string[];
  /** Lets the queue finish what it holds (up to `drainMs`), then closes queue and database. */
  close: (drainMs?: number) => Promise<void>;
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  const {
    client,
    db,
    close: closeDatabase,
  } = await openLibsqlDatabase(
    options.databaseUrl,
    options.databaseAuthToken,
    options.busyTimeoutMs,
  );
  let migrated: string[];
  try {
    migrated = await applyMigrations(client, readMigrations(MIGRATIONS_DIR));
  } catch (error) {
    closeDatabase();
    throw error;
  }

  const metrics = options.metrics ? createNodeMetrics() : null;
  const telemetry = metrics ?? noTelemetry;
  const settings = { INGEST_RETRY_DELAY_SECONDS: options.retryDelaySeconds };
  const timeout = options.queueBatchTimeoutMs;
  const deadLetters = new MemoryQueue(
    {
      ...QUEUE_SETTINGS.deadLetters,
      maxBatchTimeoutMs: timeout ?? QUEUE_SETTINGS.deadLetters.maxBatchTimeoutMs,
    },
    (batch) => consumeIngestBatch(batch, db, settings, telemetry),
  );
  const queue = new MemoryQueue(
    {
      ...QUEUE_SETTINGS.ingest,
      maxBatchTimeoutMs: timeout ?? QUEUE_SETTINGS.ingest.maxBatchTimeoutMs,
      deadLetterQueue: deadLetters,
    },
    (batch) => consumeIngestBatch(batch, db, settings, telemetry),
  );
  metrics?.watchQueue(queue.name, () => queue.depth);
  metrics?.watchQueue(deadLetters.name, () => deadLetters.depth);

  const bindings: AppBindings = {
    INGEST_QUEUE: queue,
    INGEST_TOKEN: options.ingestToken,
    AS_OF_DATE: options.asOfDate,
    INGEST_RETRY_DELAY_SECONDS: options.retryDelaySeconds,
    API_KEYS: options.apiKeys,
    CORS_ORIGINS: options.corsOrigins,
    WRITE_RATE_LIMITER:
      options.rateLimitPerMinute === undefined
        ? undefined
        : new MemoryRateLimiter(options.rateLimitPerMinute),
  };
  const app = createApp<AppBindings>({
    database: () => db,
    telemetry: () => telemetry,
    ...(metrics ? { operations: metricsRoute<AppBindings>(metrics, options.metricsToken) } : {}),
  });
  const maintenance = startMaintenanceTimer(db, options.maintenanceIntervalMs);

  return {
    fetch: async (request, overrides = {}) => app.fetch(request, { ...bindings, ...overrides }),
    bindings,
    db,
    client,
    queue,
    metrics,
    migrated,
    close: async (drainMs = 0) => {
      const deadline = Date.now() + drainMs;
      // Dead letters come from the main queue, so that one drains first.
      await queue.drain(drainMs);
      await deadLetters.drain(Math.max(0, deadline - Date.now()));
      const dropped = (await queue.close()) + (await deadLetters.close());
      if (dropped > 0) {
        log("warn", "queue closed with messages in it", { dropped });
      }
      await maintenance.stop();
      closeDatabase();
    },
  };
}
