import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/worker/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** Always bound in tests: the workers project runs on D1. */
      DB: D1Database;
      TEST_MIGRATIONS: D1Migration[];
      /** A D1 database left without migrations (vitest.config.ts). */
      UNMIGRATED_DB: D1Database;
    }
  }
}
