import type { AppBindings } from "./app-env";
import type { DatabaseBindings } from "./db/worker";
import type { IngestMessage } from "./ingest/messages";

/**
 * Bindings and variables the Worker reads. Secrets (INGEST_TOKEN, DATABASE_URL,
 * DATABASE_AUTH_TOKEN) are set with `wrangler secret put`.
 */
export interface Env extends AppBindings, DatabaseBindings {
  INGEST_QUEUE: Queue<IngestMessage>;
}
