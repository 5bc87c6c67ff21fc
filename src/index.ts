import { createApp } from "./app";
import { workerDatabase } from "./db/worker";
import type { Env } from "./env";
import { consumeIngestBatch } from "./ingest/consumer";

const app = createApp<Env>({ database: workerDatabase });

export default {
  fetch: app.fetch,
  queue: (batch, env, _ctx) => consumeIngestBatch(batch, workerDatabase(env), env),
} satisfies ExportedHandler<Env>;
