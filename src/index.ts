import { createApp } from "./app";
import type { Env } from "./env";
import { consumeIngestBatch } from "./ingest/consumer";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consumeIngestBatch,
} satisfies ExportedHandler<Env>;
