import { fileURLToPath } from "node:url";
import type { Client } from "@libsql/client";
import { createApp } from "../app";
import { APP_SETTING_NAMES, type AppConfig, type AppSettings, parseAppConfig } from "../config";
import type { Database } from "../db/database";
import { isTransientDatabaseError } from "../db/errors";
import type { AppBindings } from "../http/app-env";
import { consumeIngestBatch } from "../ingest/consumer";
import { registerMessages } from "../ingest/job-store";
import { QUEUE_SETTINGS } from "../ingest/queue";
import { log } from "../lib/log";
import { monotonicNow } from "../lib/monotonic-clock";
import { MemoryRateLimiter } from "../lib/security/rate-limit";
import { useSha256 } from "../lib/sha256";
import { noTelemetry } from "../telemetry";
import { openLibsqlDatabase } from "./database";
import { DatabaseOpenError, migrationsWriteError } from "./database-open";
import { startMaintenanceTimer } from "./maintenance-timer";
import { MemoryQueue } from "./memory-queue";
import { createNodeMetrics, type NodeMetrics } from "./metrics";
import { type MetricsExposition, metricsRoute } from "./metrics-route";
import { applyMigrations, MigrationFailedError, readMigrations } from "./migrations";
import { databaseQueueStore } from "./queue-store";
import { nodeEdgeOf } from "./request-edges";
import type { ServerSettings } from "./settings";
import { nodeSha256 } from "./sha256";
import { startWalCheckpointer } from "./wal-checkpointer";

/*
 * The app as the Node server runs it, without the HTTP listener (tests use it directly): the same
 * Hono app and queue consumer as the Worker, over a libSQL database and an in-process queue
 * whose messages are kept in that database until they are settled.
 */

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

/** What the runtime reads of the server's settings (src/node/settings.ts). */
export type RuntimeSettings = Pick<
  ServerSettings,
  | "databaseUrl"
  | "databaseAuthToken"
  | "databaseQuickCheck"
  | "databaseSynchronous"
  | "rateLimitPerMinute"
  | "metrics"
  | "metricsToken"
  | "app"
  | "appSettings"
>;

/**
 * Knobs the tests turn, and the role a cluster primary asks for; a one-process server runs with
 * the defaults.
 */
export interface RuntimeTuning {
  /** How long a query waits for another connection's lock before answering 503 (default 5 s). */
  busyTimeoutMs?: number;
  /**
   * A cluster's primary: it answers no requests and its consumer does the bulk ingest writes, so
   * its connection gets the bulk writer's cache (native-libsql.ts).
   */
  bulkWriter?: boolean;
  /**
   * The server's start (one process, or a cluster's primary): a `file:` database this process may
   * not write stops it with one line (database-open.ts). Off for tests that open a file made
   * read-only on purpose, to see what a running server does.
   */
  confirmWritable?: boolean;
  /** Overrides the batch timeout of both queues (tests deliver faster). */
  queueBatchTimeoutMs?: number;
  /** Overrides the hourly maintenance sweep's interval (tests sweep sooner). */
  maintenanceIntervalMs?: number;
}

/** Per-request replacements, for tests: bindings, or app settings as strings (parsed again). */
type RuntimeOverrides = Partial<AppBindings> & Partial<AppSettings>;

export interface Runtime {
  fetch: (request: Request, overrides?: RuntimeOverrides) => Promise<Response>;
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

export async function openRuntime(
  settings: RuntimeSettings,
  tuning: RuntimeTuning = {},
): Promise<Runtime> {
  // Before the queue's consumer restores what a previous process left (chunk hashes); nodeApp
  // installs it too, for a cluster's workers, which run no openRuntime.
  useSha256(nodeSha256);
  const {
    client,
    db,
    close: closeDatabase,
    fault,
    path,
    writesWaiting,
  } = await openLibsqlDatabase(settings.databaseUrl, settings.databaseAuthToken, {
    busyTimeoutMs: tuning.busyTimeoutMs,
    bulkWriter: tuning.bulkWriter,
    confirmWritable: tuning.confirmWritable,
    // At the server's start only: a cluster's workers open the file the primary has checked.
    quickCheck: tuning.confirmWritable === true && settings.databaseQuickCheck,
    synchronous: settings.databaseSynchronous,
  });
  let migrated: string[];
  try {
    migrated = await applyMigrations(client, readMigrations(MIGRATIONS_DIR));
  } catch (error) {
    closeDatabase();
    throw migrationsError(path, error);
  }

  const config = settings.app;
  const metrics = settings.metrics ? createNodeMetrics() : null;
  const telemetry = metrics ?? noTelemetry;
  const timeout = tuning.queueBatchTimeoutMs;
  const store = databaseQueueStore(db);
  const deadLetters = new MemoryQueue(
    {
      ...QUEUE_SETTINGS.deadLetters,
      maxBatchTimeoutMs: timeout ?? QUEUE_SETTINGS.deadLetters.maxBatchTimeoutMs,
      store,
    },
    (batch) => consumeIngestBatch(batch, db, config, telemetry),
  );
  const queue = new MemoryQueue(
    {
      ...QUEUE_SETTINGS.ingest,
      maxBatchTimeoutMs: timeout ?? QUEUE_SETTINGS.ingest.maxBatchTimeoutMs,
      deadLetterQueue: deadLetters,
      store,
      // In the commit that stores the messages: during an ingest the server's HTTP processes then
      // write nothing, so this process's page cache is not thrown away at each of their commits.
      registration: (bodies) => registerMessages(db, bodies),
    },
    (batch) => consumeIngestBatch(batch, db, config, telemetry),
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
  metrics?.watchQueue(queue.name, () => queue.depth);
  metrics?.watchQueue(deadLetters.name, () => deadLetters.depth);
  metrics?.watchWritesWaiting(writesWaiting);

  const bindings: AppBindings = {
    INGEST_QUEUE: queue,
    WRITE_RATE_LIMITER: new MemoryRateLimiter(settings.rateLimitPerMinute),
  };
  const app = nodeApp(settings, db, metrics && { metrics, exposition: metrics.registry }, fault);
  const maintenance = startMaintenanceTimer(db, tuning.maintenanceIntervalMs, {
    decisionRetentionMonths: config.decisionRetentionMonths,
    ingestRetentionDays: config.ingestRetentionDays,
  });
  // One per database file, in the process that owns it; a cluster's workers run none.
  const checkpointer =
    path === null
      ? null
      : startWalCheckpointer(path, { synchronous: settings.databaseSynchronous });

  return {
    fetch: (request, overrides) => app(request, bindings, overrides),
    bindings,
    db,
    client,
    queue,
    metrics,
    migrated,
    close: async (drainMs = 0) => {
      try {
        const deadline = monotonicNow() + drainMs;
        // Dead letters come from the main queue, so that one drains first.
        await queue.drain(drainMs);
        await deadLetters.drain(Math.max(0, deadline - monotonicNow()));
        const left = (await queue.close()) + (await deadLetters.close());
        if (left > 0) {
          log("warn", "queue closed with messages in it; they are delivered at the next start", {
            left,
          });
        }
        await maintenance.stop();
      } finally {
        // Before the database's own last checkpoint (TRUNCATE), which would otherwise find the
        // thread's checkpoint running now and then, and leave the WAL beside the file.
        await checkpointer?.stop();
        closeDatabase();
      }
    },
  };
}

/**
 * The start's line for migrations that could not be applied: a full disk or a file-size limit,
 * said as such; a file the database refused, named with what to do (it was a stack trace naming
 * no file, exit 1, and a supervisor restarted it into the same failure).
 */
function migrationsError(path: string | null, error: unknown): unknown {
  // A full disk or a file-size limit is said as such wherever it struck: in a file, or in the
  // CREATE TABLE of d1_migrations that a fresh database's first migration comes after.
  const engineError = error instanceof MigrationFailedError ? error.cause : error;
  const full = path !== null && migrationsWriteError(path, engineError);
  if (full) return full;
  if (!(error instanceof MigrationFailedError)) return error;
  return new DatabaseOpenError(
    `database ${path ?? "at DATABASE_URL"}: ${error.message}. Fix what SQLite names and start again, or restore the backup taken before upgrading and run the release it came from (docs/databases.md, "Upgrading")`,
    // A lock or a connection that came back between the lock's wait and the file: a restart may pass.
    isTransientDatabaseError(error.cause) ? "may-pass" : "operator",
  );
}

/** The app's fetch, with a test's per-request replacements of bindings or settings. */
export type NodeAppFetch = (
  request: Request,
  bindings: AppBindings,
  overrides?: RuntimeOverrides,
) => Promise<Response>;

/**
 * The Hono app over `db`, as every Node process serves it (the single server, a cluster worker):
 * settings parsed once, metrics recorded and exposed at /metrics when on, and node:crypto's
 * SHA-256 installed (src/node/sha256.ts). A cluster's workers run no openRuntime: installed only
 * there, the HTTP of a cluster (`npm run serve`'s default) kept Web Crypto's thread-pool hop.
 */
export function nodeApp(
  settings: Pick<RuntimeSettings, "app" | "appSettings" | "metricsToken">,
  db: Database,
  metrics: { metrics: NodeMetrics; exposition: MetricsExposition } | null,
  /** Why the database cannot take writes, for /readyz (src/node/database.ts). */
  databaseFault: () => string | null = () => null,
): NodeAppFetch {
  useSha256(nodeSha256);
  const config = settings.app;
  const telemetry = metrics?.metrics ?? noTelemetry;
  // Parsed once, at start; a test that varies a setting gets its own parse, kept with its bindings.
  const overriddenConfig = new WeakMap<object, AppConfig>();
  const app = createApp<AppBindings>({
    config: (env) => overriddenConfig.get(env) ?? config,
    database: () => db,
    databaseFault,
    telemetry: () => telemetry,
    edge: nodeEdgeOf,
    ...(metrics
      ? { operations: metricsRoute<AppBindings>(metrics.exposition, settings.metricsToken) }
      : {}),
  });
  return async (request, bindings, overrides) => {
    if (!overrides) return app.fetch(request, bindings);
    const env = { ...bindings, ...overrides };
    if (APP_SETTING_NAMES.some((name) => name in overrides)) {
      overriddenConfig.set(env, parseAppConfig({ ...settings.appSettings, ...overrides }));
    }
    return app.fetch(request, env);
  };
}
