import { createApp } from "../app";
import { parseDecisionRetentionMonths, runMaintenance } from "../db/maintenance";
import { consumeIngestBatch } from "../ingest/consumer";
import { workerDatabase } from "./database";
import type { Env } from "./env";
import { withD1ServerTiming } from "./server-timing";

const app = createApp<Env>({ database: workerDatabase });

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    env.SERVER_TIMING === "true"
      ? withD1ServerTiming(env, (counted) => app.fetch(request, counted, ctx))
      : app.fetch(request, env, ctx),
  queue: (batch, env, _ctx) => consumeIngestBatch(batch, workerDatabase(env), env),
  // The Cron Trigger in wrangler.toml: expired rows are swept here, never inside a request.
  scheduled: async (controller, env, _ctx) => {
    const decisionRetentionMonths = parseDecisionRetentionMonths(env.DECISION_RETENTION_MONTHS);
    await runMaintenance(workerDatabase(env), controller.scheduledTime, {
      retention: { decisionRetentionMonths },
    });
  },
} satisfies ExportedHandler<Env>;
