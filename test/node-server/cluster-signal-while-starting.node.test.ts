import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/local-worker";
import { call, registration } from "../node/cluster-process";
import { scratchFiles } from "../node/ingest-fixtures";
import { KeptConnection, rawJsonPost, untilRead } from "../node/raw-http";
import { type StartingServeProcess, spawnServeProcess } from "../node/serve-process";
import { until } from "../node/until";

/*
 * SIGTERM to the primary alone (`docker stop`, Kubernetes, systemd's KillMode=mixed) while the
 * cluster is still starting: one worker already serves, another does not listen yet
 * (test/node/hold-second-worker-listen.cjs). The primary had no handler until every worker
 * listened, so the signal killed it, and node:cluster then ended the serving worker at once: a
 * request it had begun was cut, and its client could not tell whether the write was done.
 */

const scratch = scratchFiles();
const preload = fileURLToPath(new URL("../node/hold-second-worker-listen.cjs", import.meta.url));
let server: StartingServeProcess | undefined;

afterAll(async () => {
  await server?.kill();
});

async function customers(database: string): Promise<number> {
  const client = createClient({ url: `file:${database}` });
  try {
    return Number((await client.execute("SELECT count(*) FROM customers")).rows[0]?.[0]);
  } finally {
    client.close();
  }
}

/** A cluster whose first worker answers and whose second never listens. */
async function startingCluster(database: string): Promise<{ url: string; port: number }> {
  // A port of its own: the ready line that would name a port 0's never comes.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  server = spawnServeProcess({
    DATABASE_URL: `file:${database}`,
    WEB_CONCURRENCY: "2",
    PORT: String(port),
    NODE_OPTIONS: `--require ${preload}`,
    HOLD_SECOND_WORKER_LISTEN: "true",
  });
  await server.printed(/test: worker \d+ holds its listen/);
  await until(
    () =>
      call(url, "/healthz").then(
        ({ status }) => status,
        () => 0,
      ),
    (status) => status === 200,
    60_000,
    250,
  );
  expect(server.output()).not.toContain("ready:");
  return { url, port };
}

describe("npm run serve with WEB_CONCURRENCY=2, stopped while it starts", () => {
  it("finishes a request in flight on a listening worker, then exits 0, on SIGTERM to the primary", async () => {
    const database = scratch("stopped-starting.db");
    const { url, port } = await startingCluster(database);
    if (!server) throw new Error("not started");

    // A registration whose body has not all arrived: the worker has begun it.
    const connection = await KeptConnection.open(url);
    const request = rawJsonPost("/register", registration(50_000));
    const cut = request.length - 5;
    await connection.write(request.slice(0, cut));
    await untilRead(port, connection.socket.localPort ?? 0);
    process.kill(server.pid, "SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await connection.write(request.slice(cut)).catch(() => undefined);

    const answer = await connection.answer().catch((error: Error) => error);
    expect(answer, server.output()).not.toBeInstanceOf(Error);
    expect(answer).toMatchObject({ status: 201, headers: { connection: "close" } });
    expect(await server.exited, server.output()).toBe(0);
    expect(server.output()).toContain("SIGTERM: finishing requests");
    expect(await customers(database)).toBe(1);
  }, 120_000);

  it("exits 0 on Ctrl-C (SIGINT to the whole group) while it starts", async () => {
    await server?.kill();
    await startingCluster(scratch("interrupted-starting.db"));
    if (!server) throw new Error("not started");
    process.kill(-server.pid, "SIGINT");
    expect(await server.exited, server.output()).toBe(0);
    expect(server.output()).not.toContain("exited while starting");
  }, 120_000);
});
