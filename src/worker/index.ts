import { createApp } from "../app";
import { ConfigError } from "../config";
import { runMaintenance } from "../db/maintenance";
import { consumeIngestBatch, deferBatch } from "../ingest/consumer";
import { log } from "../lib/log";
import { analyticsTelemetry } from "./analytics";
import { type WorkerConfig, workerConfig } from "./config";
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
    // Settings that do not parse: the chunks were accepted, so they wait for the fix instead of
    // spending their retries at once and being dropped.
    const consumer = fromSettings(env, { queue: batch.queue }, (config) => ({
      settings: config.app,
      database: workerDatabase(env),
      telemetry: analyticsTelemetry(env.METRICS),
    }));
    if (consumer instanceof ConfigError) return deferBatch(batch);
    await consumeIngestBatch(batch, consumer.database, consumer.settings, consumer.telemetry);
  },
  // The Cron Trigger in wrangler.toml: expired rows are swept here, never inside a request.
  scheduled: async (controller, env, _ctx) => {
    // A retention that does not parse must not decide what is deleted: the run fails, naming it.
    const maintenance = fromSettings(env, { cron: controller.cron }, (config) => ({
      retention: {
        decisionRetentionMonths: config.app.decisionRetentionMonths,
        ingestRetentionDays: config.app.ingestRetentionDays,
      },
      database: workerDatabase(env),
    }));
    if (maintenance instanceof ConfigError) throw maintenanceNotRun(maintenance);
    await runMaintenance(maintenance.database, controller.scheduledTime, {
      retention: maintenance.retention,
    });
  },
} satisfies ExportedHandler<Env>;

/**
 * What `build` makes of the Worker's settings and database, or, when a setting does not parse,
 * the ConfigError, logged as requests log it: one structured line naming each bad setting, with
 * `context` saying which handler met it.
 */
function fromSettings<T>(
  env: Env,
  context: Record<string, string>,
  build: (config: WorkerConfig) => T,
): T | ConfigError {
  try {
    return build(workerConfig(env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log("error", "invalid settings", { problem: error.message, ...context });
    return error;
  }
}

/** The cron's failure for settings that do not parse: it names them, never a value. */
function maintenanceNotRun(error: ConfigError): ConfigError {
  const fields = error.problems.map((problem) => problem.field).join(", ");
  const why = fields ? `the deployment's settings are not valid (${fields})` : error.message;
  return new ConfigError(`Scheduled maintenance did not run: ${why}.`, error.problems);
}
