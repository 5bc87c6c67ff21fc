import { fileURLToPath } from "node:url";
import type { Client } from "@libsql/client";
import { createApp } from "../app";
import type { AppBindings } from "../app-env";
import type { Database } from "../db/client";
import { DEFAULT_RETENTION } from "../db/maintenance";
import { consumeIngestBatch } from "../ingest/consumer";
import { QUEUE_SETTINGS } from "../ingest/queue";
import { log } from "../lib/log";
import { MemoryRateLimiter } from "../lib/security/rate-limit";
import { openLibsqlDatabase } from "./database";
import { startMaintenanceTimer } from "./maintenance-timer";
import { MemoryQueue } from "./memory-queue";
import { applyMigrations, readMigrations } from "./migrations";
import { databaseQueueStore } from "./queue-store";

/*
 * The app as the Node server runs it, without the HTTP listener (tests use it directly): the same
 * Hono app and queue consumer as the Worker, over a libSQL database and an in-process queue
 * whose messages are kept in that database until they are settled.
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
  /** Months decision records are kept (default 25). */
  decisionRetentionMonths?: number | undefined;
}

export interface Runtime {
  fetch: (request: Request, overrides?: Partial<AppBindings>) => Promise<Response>;
  bindings: AppBindings;
  db: Database;
  client: Client;
  queue: MemoryQueue;
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

  const settings = { INGEST_RETRY_DELAY_SECONDS: options.retryDelaySeconds };
  const timeout = options.queueBatchTimeoutMs;
  const store = databaseQueueStore(db);
  const deadLetters = new MemoryQueue(
    {
      ...QUEUE_SETTINGS.deadLetters,
      maxBatchTimeoutMs: timeout ?? QUEUE_SETTINGS.deadLetters.maxBatchTimeoutMs,
      store,
    },
    (batch) => consumeIngestBatch(batch, db, settings),
  );
  const queue = new MemoryQueue(
    {
      ...QUEUE_SETTINGS.ingest,
      maxBatchTimeoutMs: timeout ?? QUEUE_SETTINGS.ingest.maxBatchTimeoutMs,
      deadLetterQueue: deadLetters,
      store,
    },
    (batch) => consumeIngestBatch(batch, db, settings),
  );
  let restored: number;
  try {
    // What a previous process accepted and never settled (it crashed, or stopped with work left).
    restored = (await deadLetters.restore()) + (await queue.restore());
  } catch (error) {
    await Promise.all([queue.close(), deadLetters.close()]);
    closeDatabase();
    throw error;
  }
  if (restored > 0) log("info", "resuming queued ingest messages", { messages: restored });

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
  const app = createApp<AppBindings>({ database: () => db });
  const maintenance = startMaintenanceTimer(db, options.maintenanceIntervalMs, {
    decisionRetentionMonths:
      options.decisionRetentionMonths ?? DEFAULT_RETENTION.decisionRetentionMonths,
  });

  return {
    fetch: async (request, overrides = {}) => app.fetch(request, { ...bindings, ...overrides }),
    bindings,
    db,
    client,
    queue,
    migrated,
    close: async (drainMs = 0) => {
      const deadline = Date.now() + drainMs;
      // Dead letters come from the main queue, so that one drains first.
      await queue.drain(drainMs);
      await deadLetters.drain(Math.max(0, deadline - Date.now()));
      const left = (await queue.close()) + (await deadLetters.close());
      if (left > 0) {
        log("warn", "queue closed with messages in it; they are delivered at the next start", {
          left,
        });
      }
      await maintenance.stop();
      closeDatabase();
    },
  };
}
