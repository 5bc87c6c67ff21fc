import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterProcess,
  call,
  running,
  startCluster,
  workerPids,
} from "../node/cluster-process";
import { scratchFiles } from "../node/ingest-fixtures";
import { KeptConnection } from "../node/raw-http";
import { until } from "../node/until";

/*
 * An HTTP worker that stops answering while it stays alive: a synchronous loop that never ends, a
 * deadlock in native code, a process stopped (SIGSTOP, as here: the same to the primary, and
 * deterministic). node:cluster hands it a new connection, which is never answered, and the primary
 * went on asking it for its metrics: every scrape of /metrics waited the ask's 30 s (a Prometheus
 * scrape gives up after 10 s), and the worker was never replaced, as nothing had exited.
 */

const scratch = scratchFiles();
let server: ClusterProcess;

beforeAll(async () => {
  server = await startCluster({ DATABASE_URL: `file:${scratch("stuck-worker.db")}` });
}, 90_000);

afterAll(async () => {
  await server?.kill();
});

/** Whether a process is stopped (state T), as a stuck one would be to its primary. */
async function stopped(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat.slice(stat.lastIndexOf(")") + 2)[0] === "T";
}

/** Prometheus' default scrape timeout: a scrape slower than this is a failed scrape. */
const SCRAPE_TIMEOUT_MS = 10_000;

describe("npm run serve with WEB_CONCURRENCY=2 and a worker that stops answering", () => {
  it("answers /metrics within a scrape's timeout, and then kills the stuck worker and forks another", async () => {
    const workers = await workerPids(server.url);
    // A kept-alive connection stays on its worker: the scrape below reaches the one still running.
    const connection = await KeptConnection.open(server.url);
    const survivor = Number((await connection.get("/metrics")).headers["x-worker-pid"]);
    const stuck = workers.find((pid) => pid !== survivor) ?? 0;
    expect(stuck).toBeGreaterThan(0);
    process.kill(stuck, "SIGSTOP");
    try {
      const started = Date.now();
      const scrape = await connection.get("/metrics");
      expect(scrape.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(SCRAPE_TIMEOUT_MS);
      // Answered while the worker was still stuck, not because it had gone meanwhile.
      expect(await stopped(stuck)).toBe(true);

      // The primary notices that it no longer answers, kills it, and forks a replacement.
      await until(
        () => running(stuck),
        (alive) => !alive,
        60_000,
        250,
      );
      expect(server.output()).toContain("an HTTP worker stopped answering; killing it");
      const replacement = await until(
        async () => (await call(server.url, "/openapi.json").catch(() => null))?.pid,
        (pid) => pid !== undefined && pid !== survivor && pid !== stuck,
        60_000,
        50,
      );
      expect(replacement).toBeGreaterThan(0);
    } finally {
      // Whatever happened, a stopped process must not outlive the test.
      if (await running(stuck)) process.kill(stuck, "SIGCONT");
    }
  }, 150_000);
});
