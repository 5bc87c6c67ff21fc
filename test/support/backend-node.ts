import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openRuntime } from "../../src/node/runtime";
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from "../../src/node/settings";
import { registerBackend } from "./backend";

// The `node-libsql` project: the Node server's app (no listener) on a fresh libSQL file per test
// file, with the in-process queue — the same isolation the workers project has per file.
const directory = mkdtempSync(join(tmpdir(), "credit-libsql-"));
const runtime = await openRuntime({
  databaseUrl: `file:${join(directory, "test.db")}`,
  ingestToken: "test-ingest-token",
  asOfDate: "2025-06-15",
  retryDelaySeconds: "0",
  // The server's default write limit, as `npm run serve` runs.
  rateLimitPerMinute: DEFAULT_RATE_LIMIT_PER_MINUTE,
  // Both queues deliver at once (the dead-letter queue's 1 s window would only slow the suite).
  queueBatchTimeoutMs: 0,
});

afterAll(async () => {
  await runtime.close();
  rmSync(directory, { recursive: true, force: true });
});

registerBackend({
  name: "node-libsql",
  fetch: (request, overrides = {}) => runtime.fetch(request, overrides),
  database: () => runtime.db,
  async query<T>(sql: string, params: unknown[] = []) {
    const result = await runtime.client.execute({ sql, args: params as never });
    // Plain objects, as D1 returns them (libSQL rows also carry positional keys).
    return result.rows.map(
      (row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]])) as T,
    );
  },
  enqueue: (body) => runtime.queue.send(body),
});
