import { createApp } from "../app";
import { ConfigError } from "../config";
import { runMaintenance } from "../db/maintenance";
import { consumeIngestBatch, deferBatch } from "../ingest/consumer";
import { log } from "../lib/log";
import { analyticsTelemetry } from "./analytics";
import { workerConfig } from "./config";
import { workerDatabase, workerSessions } from "./database";
import type { Env } from "./env";
import { withTrimmedHeaders } from "./request-headers";
import { withD1ServerTiming } from "./server-timing";

const app = createApp<Env>({
  config: (env) => workerConfig(env).app,
  database: workerDatabase,
  sessions: workerSessions,
  telemetry: (env) => analyticsTelemetry(env.METRICS),
});

/** Whether to time D1; settings that do not parse are the app's to answer, as problem+json. */
function serverTiming(env: Env): boolean {
  try {
    return workerConfig(env).serverTiming;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

export default {
  fetch: (raw: Request, env: Env, ctx: ExecutionContext) => {
    const request = withTrimmedHeaders(raw);
    return serverTiming(env)
      ? withD1ServerTiming(env, (counted) => app.fetch(request, counted, ctx))
      : app.fetch(request, env, ctx);
  },
  // The consumer and the cron use the plain binding, which always reaches the primary: they write,
  // and no client is waiting to carry a bookmark.
  queue: async (batch, env, _ctx) => {
    const consumer = consumerSettings(env, batch);
    if (!consumer) return;
    await consumeIngestBatch(batch, consumer.database, consumer.settings, consumer.telemetry);
  },
  // The Cron Trigger in wrangler.toml: expired rows are swept here, never inside a request.
  scheduled: async (controller, env, _ctx) => {
    const { retention, database } = maintenanceSettings(env, controller.cron);
    await runMaintenance(database, controller.scheduledTime, { retention });
  },
} satisfies ExportedHandler<Env>;

/**
 * The cron's settings and database. A bad setting is logged as requests log it, one structured
 * line naming each, and the run fails with an error naming them: it sweeps nothing, since a
 * retention that does not parse must not decide what is deleted.
 */
function maintenanceSettings(env: Env, cron: string) {
  try {
    const { decisionRetentionMonths } = workerConfig(env).app;
    return { retention: { decisionRetentionMonths }, database: workerDatabase(env) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log("error", "invalid settings", { problem: error.message, cron });
    const fields = error.problems.map((problem) => problem.field).join(", ");
    const why = fields ? `the deployment's settings are not valid (${fields})` : error.message;
    throw new ConfigError(`Scheduled maintenance did not run: ${why}.`, error.problems);
  }
}

/**
 * The consumer's settings and database, or null with the batch sent back for later when a setting
 * does not parse: its chunks were accepted, so they wait for the settings to be fixed, logged as
 * requests log it, instead of spending their retries at once and being dropped.
 */
function consumerSettings(env: Env, batch: MessageBatch) {
  try {
    const settings = workerConfig(env).app;
    const telemetry = analyticsTelemetry(env.METRICS);
    return { settings, database: workerDatabase(env), telemetry };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log("error", "invalid settings", { problem: error.message, queue: batch.queue });
    deferBatch(batch);
    return null;
  }
}
