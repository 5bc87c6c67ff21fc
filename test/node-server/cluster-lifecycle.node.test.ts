import { readFile, stat } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/local-worker";
import type { IngestMessage } from "../../src/ingest/messages";
import { call, registration, running, startCluster, workerPids } from "../node/cluster-process";
import { scratchFiles } from "../node/ingest-fixtures";
import { KeptConnection, rawJsonPost, untilRead } from "../node/raw-http";
import { serveProcessesPerFile, spawnServeProcess } from "../node/serve-process";
import { until } from "../node/until";
import { chunk, customerRow, loanRow } from "../support/ingest";

/*
 * The cluster's start and end: what the ingest endpoint acknowledged survives kill -9 of the
 * primary (whose workers go with it), and SIGTERM lets requests in flight finish, then leaves one
 * checkpointed database file and exit code 0.
 */

const TOKEN = "cluster-lifecycle-test-token";
const auth = { Authorization: `Bearer ${TOKEN}` };
const scratch = scratchFiles();
const serve = serveProcessesPerFile(startCluster, { INGEST_TOKEN: TOKEN });

async function send(url: string, messages: IngestMessage[]): Promise<void> {
  const { status } = await call(url, "/ingest/batches", { body: { messages }, headers: auth });
  expect(status).toBe(202);
}

async function loanTotals(url: string, jobId: string) {
  const { status, body } = await call<{ loans: { landed: number; retrying: number } }>(
    url,
    `/ingest/jobs/${jobId}`,
    { headers: auth },
  );
  return status === 200 ? body.loans : null;
}

async function count(database: string, sql: string): Promise<number> {
  const client = createClient({ url: `file:${database}` });
  try {
    return Number((await client.execute(sql)).rows[0]?.[0]);
  } finally {
    client.close();
  }
}

type Answered = { status: number; body: string; connection: string | undefined };

describe("npm run serve with WEB_CONCURRENCY=2, stopped", () => {
  it("lands every acknowledged chunk after kill -9 of the primary (its workers go too) and a restart", async () => {
    const database = scratch("killed.db");
    const jobId = "cluster-kill";
    const customerIds = [8201, 8202, 8203, 8204, 8205, 8206];
    // Loan chunks whose customers are not there yet: delivered, then waiting 2 s for a retry.
    const loanChunks = [0, 1, 2].map((c) =>
      chunk(jobId, c + 1, "loans", [
        loanRow(89_000 + 2 * c, customerIds[2 * c] ?? 0),
        loanRow(89_001 + 2 * c, customerIds[2 * c + 1] ?? 0),
      ]),
    );
    const first = await serve(database, { INGEST_RETRY_DELAY_SECONDS: "2" });
    const workers = await workerPids(first.url);
    // Each chunk on its own connection: the three reach both workers.
    for (const loans of loanChunks) await send(first.url, [loans]);
    await until(
      () => loanTotals(first.url, jobId),
      (totals) => totals?.retrying === 6,
      20_000,
    );

    process.kill(first.pid, "SIGKILL");
    await first.exited;
    // No orphans: node:cluster ends a worker whose primary has gone.
    await until(
      async () => (await Promise.all(workers.map(running))).some(Boolean),
      (anyRunning) => !anyRunning,
      20_000,
    );
    expect(
      await count(
        database,
        "SELECT count(*) FROM node_queue_messages WHERE queue = 'credit-ingest'",
      ),
    ).toBe(3);

    const second = await serve(database);
    await send(second.url, [
      chunk(
        jobId,
        4,
        "customers",
        customerIds.map((id) => customerRow(id)),
      ),
    ]);
    await until(
      () => loanTotals(second.url, jobId),
      (totals) => totals?.landed === 6,
      30_000,
    );
    expect(await count(database, "SELECT count(*) FROM loans")).toBe(6);
  }, 180_000);

  // Each asks the primary: the write its rate limit, /metrics the cluster's sum.
  it.each([
    ["a write", "write", rawJsonPost("/register", registration(50_000))],
    ["GET /metrics", "metrics", "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"],
  ])(
    "answers 503, not a stack trace, for %s a worker reads after kill -9 of its primary",
    async (_, file, request) => {
      const database = scratch(`orphaned-${file}.db`);
      const server = await serve(database);
      const connection = await KeptConnection.open(server.url);
      const worker = Number((await connection.get("/healthz")).headers["x-worker-pid"]);
      // The worker is stopped while the request arrives and the primary dies: when it runs again it
      // reads the request before it sees its channel to the primary closed.
      process.kill(worker, "SIGSTOP");
      await connection.write(request);
      process.kill(server.pid, "SIGKILL");
      await server.exited;
      process.kill(worker, "SIGCONT");

      // Before, the rate limit's ask failed with EPIPE, an 'error' nobody handled: the worker died
      // with a stack trace and the client saw its connection reset.
      const answer = await connection.answer();
      expect(answer.status, server.output()).toBe(503);
      expect(answer.headers["retry-after"]).toBe("1");
      await until(
        () => running(worker),
        (alive) => !alive,
        20_000,
      );
      expect(server.output()).not.toContain("EPIPE");
      expect(await count(database, "SELECT count(*) FROM customers")).toBe(0);
    },
    60_000,
  );

  it("a worker starting when its primary is killed exits with a log line, not a stack trace", async () => {
    const preload = fileURLToPath(new URL("../node/stop-workers-at-listen.cjs", import.meta.url));
    const server = spawnServeProcess({
      DATABASE_URL: `file:${scratch("starting.db")}`,
      WEB_CONCURRENCY: "2",
      NODE_OPTIONS: `--require ${preload}`,
    });
    try {
      // Each worker asked for the shared server, was stopped there, and was answered.
      await server.printed(/worker \d+ answered[\s\S]*worker \d+ answered/);
      const workers = [...server.output().matchAll(/test: worker (\d+) stopped/g)].map((line) =>
        Number(line[1]),
      );
      process.kill(server.pid, "SIGKILL");
      await server.exited;
      for (const worker of workers) process.kill(worker, "SIGCONT");
      await until(
        async () => (await Promise.all(workers.map(running))).some(Boolean),
        (anyRunning) => !anyRunning,
        20_000,
      );

      // Before, node:cluster's "listening" message failed with EPIPE, an 'error' nobody handled.
      const output = server.output();
      expect(output).not.toContain("Unhandled 'error'");
      expect(output).not.toMatch(/^\s+at /m);
      const goneLines = output.match(/"what":"the cluster's primary has gone; this worker exits"/g);
      expect(goneLines, output).toHaveLength(2);
    } finally {
      await server.kill();
    }
  }, 90_000);

  it("answers 503 saying it may be stored for an ingest batch its stuck primary stores late", async () => {
    const database = scratch("stuck.db");
    const server = await serve(database);
    const connection = await KeptConnection.open(server.url);
    expect((await connection.get("/healthz")).status).toBe(200);
    // The primary stops answering (SIGSTOP: stuck, or dying) with the batch on its channel.
    process.kill(server.pid, "SIGSTOP");
    const batch = { messages: [chunk("stuck-job", 0, "customers", [customerRow(1)])] };
    await connection.write(rawJsonPost("/ingest/batches", batch, auth));
    // The worker's ask gives up after 30 s.
    const answer = await connection.answer(40_000);
    process.kill(server.pid, "SIGCONT");

    expect(answer.status, answer.body).toBe(503);
    expect(answer.headers["retry-after"]).toBe("1");
    // Not "not done": the primary, running again, stores and lands it.
    expect(JSON.parse(answer.body).detail).toContain("may have stored this batch");
    await until(
      () => count(database, "SELECT count(*) FROM customers"),
      (customers) => customers === 1,
      20_000,
    );
  }, 90_000);

  it("stops at once on SIGTERM while a crashed worker's replacement is still starting", async () => {
    const server = await serve(scratch("replacement.db"));
    const [crashed] = await workerPids(server.url);
    const children = async () =>
      (await readFile(`/proc/${server.pid}/task/${server.pid}/children`, "utf8"))
        .trim()
        .split(/\s+/)
        .map(Number);
    const before = await children();
    process.kill(crashed ?? 0, "SIGKILL");
    // The replacement is forked after a short backoff and needs about a second to listen.
    await until(children, (pids) => pids.some((pid) => !before.includes(pid)), 10_000, 5);
    const signalled = Date.now();
    // The primary alone, as a container runtime or systemd (KillMode=mixed) sends it.
    process.kill(server.pid, "SIGTERM");
    expect(await server.exited).toBe(0);
    // Before the fix the replacement never read the stop, served on, and was killed after 15 s.
    expect(Date.now() - signalled, server.output()).toBeLessThan(8_000);
  }, 60_000);

  it("replaces a worker that crashes after it listens while the cluster is still starting", async () => {
    const preload = fileURLToPath(
      new URL("../node/crash-first-worker-while-starting.cjs", import.meta.url),
    );
    // A port of its own: with none of its workers listening for a moment, the primary closes the
    // shared socket and listens anew, on another port if it was given 0.
    const server = await serve(scratch("crash-while-starting.db"), {
      PORT: String(await freePort()),
      CRASH_FIRST_WORKER_WHILE_STARTING: "true",
      NODE_OPTIONS: `--require ${preload}`,
    });
    // The primary watched for exits only once every worker listened: the first one's was missed,
    // and the cluster served on with one worker for good.
    await until(
      async () => server.output(),
      (output) => output.includes("an HTTP worker exited; forking another"),
      15_000,
    );
    const pids = await until(
      () => workerPids(server.url),
      (found) => found.length === 2,
      20_000,
      250,
    );
    expect(pids, server.output()).toHaveLength(2);
  }, 90_000);

  it("finishes requests in flight on SIGTERM, with Connection: close, then exits 0 with the WAL checkpointed", async () => {
    const database = scratch("stopped.db");
    const server = await serve(database);
    // One connection, kept alive: a first answer ties it to a worker.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const host = new URL(server.url);
    const payload = JSON.stringify(registration(50_000));
    const half = Math.floor(payload.length / 2);
    const answered = new Promise<Answered>((resolve, reject) => {
      const warmUp = httpRequest({
        host: host.hostname,
        port: host.port,
        path: "/openapi.json",
        agent,
      });
      warmUp.on("error", reject);
      warmUp.end();
      warmUp.on("response", (first) => {
        first.resume();
        first.on("end", () => {
          const slow = httpRequest({
            host: host.hostname,
            port: host.port,
            path: "/register",
            method: "POST",
            agent,
            headers: { "Content-Type": "application/json", "Content-Length": payload.length },
          });
          slow.on("error", reject);
          slow.on("response", (response) => {
            let body = "";
            response.on("data", (data: Buffer) => {
              body += data.toString();
            });
            response.on("end", () =>
              resolve({
                status: response.statusCode ?? 0,
                body,
                connection: response.headers.connection,
              }),
            );
          });
          // Half the body now; once the worker has read it (its request has begun), the signal;
          // then the rest.
          slow.write(payload.slice(0, half), () => {
            const client = slow.socket?.localPort ?? 0;
            untilRead(Number(host.port), client).then(() => {
              process.kill(-server.pid, "SIGTERM");
              setTimeout(() => slow.end(payload.slice(half)), 1_000);
            }, reject);
          });
        });
      });
    });

    const { status, body, connection } = await answered.catch((error: Error) => {
      throw new Error(`${error.message}\n${server.output()}`);
    });
    agent.destroy();
    expect(status, body).toBe(201);
    // The client is told not to send another request on this connection (src/node/draining.ts).
    expect(connection).toBe("close");
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("SIGTERM: finishing requests");
    const wal = await stat(`${database}-wal`).catch(() => null);
    expect(wal?.size ?? 0).toBe(0);
    expect(await count(database, "SELECT count(*) FROM customers")).toBe(1);
  }, 120_000);
});
