import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aroundAll } from "vitest";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { registerBackend } from "./backend";
import { plainRows } from "./libsql-rows";

// The `node-libsql` project: the Node server's app (no listener) on a fresh libSQL file per test
// file, with the in-process queue — the same isolation the workers project has per file. Opened in
// a hook, not as the file loads: a run that collects without running (`vitest list`, a `-t`
// matching nothing) runs no hooks, and left the file's directory behind. aroundAll, so a test
// file's own afterAll that throws cannot skip the close (vitest runs afterAll hooks in turn).
let directory: string | undefined;
let runtime: Runtime;

aroundAll(async (runSuite) => {
  try {
    directory = mkdtempSync(join(tmpdir(), "credit-libsql-"));
    // Settings as `npm run serve` reads them, so the server's defaults (the write limit) hold.
    runtime = await openRuntime(
      settingsFromEnv({
        DATABASE_URL: `file:${join(directory, "test.db")}`,
        INGEST_TOKEN: "test-ingest-token",
        AS_OF_DATE: "2025-06-15",
        INGEST_RETRY_DELAY_SECONDS: "0",
      }),
      // Both queues deliver at once (the dead-letter queue's 1 s window would only slow the suite).
      { queueBatchTimeoutMs: 0 },
    );
    await runSuite();
  } finally {
    // Also after a failed open: close whatever did open.
    await runtime?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
});

registerBackend({
  name: "node-libsql",
  fetch: (request, overrides = {}) => runtime.fetch(request, overrides),
  separateClients: true,
  database: () => runtime.db,
  async query<T>(sql: string, params: unknown[] = []) {
    return plainRows<T>(await runtime.client.execute({ sql, args: params as never }));
  },
  enqueue: (body) => runtime.queue.send(body),
});
