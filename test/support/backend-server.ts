import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { aroundAll } from "vitest";
import { APP_SETTING_NAMES } from "../../src/config";
import { QUEUE_SETTINGS } from "../../src/ingest/queue";
import { openLibsqlDatabase } from "../../src/node/database";
import { databaseQueueStore } from "../../src/node/queue-store";
import { type ServeProcess, startServeProcess } from "../node/serve-process";
import { type EnvOverrides, registerBackend } from "./backend";
import { plainRows } from "./libsql-rows";
import { distinctClientAddresses, sendOverLoopback } from "./loopback-client";

/*
 * The `node-server` project: the contract suite over real HTTP against `npm run serve` as a
 * separate process group, started with WEB_CONCURRENCY=2 (two worker processes when the server
 * runs as a cluster), on one fresh libSQL file per test file: the same isolation the other
 * projects have per file. The suite reaches the database
 * through its own connection to that file (WAL lets processes share it).
 *
 * What differs from the in-process backends:
 * - The server takes the client's address from the socket, as in production: each client address
 *   a test names in CF-Connecting-IP is sent from a loopback address of its own
 *   (loopback-client.ts), so the write limit still counts per client.
 * - Settings in `overrides` (the app's, src/config.ts, and the server's RATE_LIMIT_PER_MINUTE)
 *   start a second server with them in its environment, once per distinct set, on the same
 *   database (it also delivers what the queue table holds when it starts: start none while
 *   ingest is in flight). Binding overrides (a rate limiter, a database object) cannot cross a
 *   process boundary and throw here; a test's write limit goes through write-limit.ts instead.
 * - `enqueue` stores the message in the server's durable queue table and restarts the server,
 *   which delivers what a previous process left there.
 *
 * The server starts in a hook, not as the file loads: a run that collects without running
 * (`vitest list`, a `-t` matching nothing) runs no hooks, and left a server group behind.
 */

let directory: string;
let databaseUrl: string;
const baseEnv: Record<string, string> = {
  WEB_CONCURRENCY: "2",
  PORT: "0",
  HOST: "127.0.0.1",
  SEED: "false",
  INGEST_TOKEN: "test-ingest-token",
  AS_OF_DATE: "2025-06-15",
  INGEST_RETRY_DELAY_SECONDS: "0",
  // The server's own defaults, whatever the developer's shell says.
  RATE_LIMIT_PER_MINUTE: "",
  METRICS_TOKEN: "",
};

let server: ServeProcess;
let database: Awaited<ReturnType<typeof openLibsqlDatabase>>;
/** Servers with other settings, by their settings: started on first use. */
const variants = new Map<string, Promise<ServeProcess>>();

/**
 * The test server, then the suite's own connection (once the server has migrated the file), around
 * the whole file. aroundAll, not beforeAll and afterAll: vitest runs afterAll hooks one after
 * another, so a test file's own afterAll that throws skipped the stop and left the server group
 * running after vitest had ended. What runs inside runSuite() cannot skip the finally.
 */
aroundAll(async (runSuite) => {
  try {
    directory = mkdtempSync(join(tmpdir(), "credit-server-"));
    databaseUrl = `file:${join(directory, "test.db")}`;
    baseEnv.DATABASE_URL = databaseUrl;
    server = await startServeProcess(baseEnv);
    database = await openLibsqlDatabase(databaseUrl);
    await runSuite();
  } finally {
    // Also after a failed start: stop whatever did start.
    await stopEveryServer();
    database?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
});

/** The test server and every variant that started. */
async function stopEveryServer(): Promise<void> {
  const variantStarts = await Promise.allSettled(variants.values());
  const started = variantStarts.flatMap((start) =>
    start.status === "fulfilled" ? [start.value] : [],
  );
  await Promise.all([server, ...started].map((running) => running?.stop()));
}

/** Settings a server process takes from its environment; bindings cannot reach a process. */
const PROCESS_SETTINGS: readonly string[] = [...APP_SETTING_NAMES, "RATE_LIMIT_PER_MINUTE"];

/** The server for these overrides: the test server, or one started with them as its settings. */
function serverFor(overrides: EnvOverrides): Promise<ServeProcess> {
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(overrides)) {
    if (!PROCESS_SETTINGS.includes(name) || typeof value !== "string") {
      throw new Error(`${name} cannot be overridden over HTTP: skip this test on node-server`);
    }
    settings[name] = value;
  }
  if (Object.keys(settings).length === 0) return Promise.resolve(server);
  const key = JSON.stringify(Object.entries(settings).sort());
  let variant = variants.get(key);
  if (!variant) {
    variant = startServeProcess({ ...baseEnv, ...settings });
    variants.set(key, variant);
  }
  return variant;
}

registerBackend({
  name: "node-server",
  async fetch(request, overrides = {}) {
    return sendOverLoopback(request, (await serverFor(overrides)).url);
  },
  separateClients: distinctClientAddresses,
  database: () => database.db,
  async query<T>(sql: string, params: unknown[] = []) {
    return plainRows<T>(await database.client.execute({ sql, args: params as never }));
  },
  async enqueue(body) {
    // The server reads its queue table when it starts only: a message kept there is one a
    // previous process accepted and did not settle, which the next one delivers.
    await databaseQueueStore(database.db).add(QUEUE_SETTINGS.ingest.name, [
      { id: `test-${crypto.randomUUID()}`, body, attempts: 1, availableAt: Date.now() },
    ]);
    await server.stop();
    server = await startServeProcess(baseEnv);
  },
});
