/**
 * `npx tsx bench/cluster-ipc.ts`: what a cluster worker pays to ask its primary
 * (src/node/cluster/ipc.ts), without HTTP or a database: one forked worker asks the rate limiter
 * (the question every write asks) one at a time and 10 at once, then hands over ingest chunks of
 * 500 workbook rows, which the primary here drops instead of storing. Prints microseconds per ask.
 *
 *   --asks N   asks per measurement (default 5000; chunks: N / 10)
 */
import cluster from "node:cluster";
import { parseArgs } from "node:util";
import type { IngestSendRequest } from "../src/ingest/queue";
import { MemoryRateLimiter } from "../src/lib/security/rate-limit";
import { ClusterChannel, type PrimaryAsks, type WorkerAsks } from "../src/node/cluster/ipc";

const { values: args } = parseArgs({ options: { asks: { type: "string", default: "5000" } } });
const asks = Number(args.asks);

/** An ingest message of `rows` loan rows, as the ingest script sends them (about 100 bytes a row). */
function chunkOfRows(rows: number): IngestSendRequest["body"] {
  return {
    job_id: "ipc-bench",
    seq: 1,
    kind: "loans",
    rows: Array.from({ length: rows }, (_, i) => ({
      row: i + 2,
      customer_id: 1 + (i % 300),
      loan_id: 10_000 + i,
      loan_amount: 100_000,
      tenure: 12,
      interest_rate: 8.2,
      monthly_payment: 8_716.13,
      emis_paid_on_time: 10,
      start_date: "2023-01-10",
      end_date: "2024-01-10",
    })),
  };
}

if (cluster.isPrimary) {
  cluster.setupPrimary({ serialization: "advanced" });
  const worker = cluster.fork();
  const limiter = new MemoryRateLimiter(Number.MAX_SAFE_INTEGER);
  const channel = new ClusterChannel<PrimaryAsks, WorkerAsks>(
    (message) => worker.send(message),
    async (request) => {
      if (request.kind === "rate-limit") return limiter.limit({ key: request.key });
      if (request.kind === "ingest") return null;
      return "";
    },
  );
  worker.on("message", (message) => {
    if (typeof message === "object" && message !== null && "result" in message) {
      console.log(message.result);
    } else {
      channel.receive(message);
    }
  });
  worker.once("exit", (code) => process.exit(code ?? 1));
} else {
  const channel = new ClusterChannel<WorkerAsks, PrimaryAsks>(
    (message) => process.send?.(message),
    async () => [],
  );
  process.on("message", (message) => channel.receive(message));
  const report = (result: string) => process.send?.({ result });

  const time = async (label: string, count: number, run: () => Promise<void>) => {
    await run(); // warm-up
    const started = performance.now();
    await run();
    const us = ((performance.now() - started) * 1000) / count;
    report(`${label}: ${us.toFixed(1)} µs per ask`);
  };
  const limit = () => channel.ask({ kind: "rate-limit", key: "client" });
  await time("rate limit, one at a time", asks, async () => {
    for (let i = 0; i < asks; i++) await limit();
  });
  await time("rate limit, 10 at once", asks, async () => {
    for (let i = 0; i < asks / 10; i++) await Promise.all(Array.from({ length: 10 }, limit));
  });
  const chunks = Math.max(1, Math.floor(asks / 10));
  const messages: IngestSendRequest[] = [{ body: chunkOfRows(500), contentType: "json" }];
  await time("ingest chunk of 500 rows, one at a time", chunks, async () => {
    for (let i = 0; i < chunks; i++) await channel.ask({ kind: "ingest", messages });
  });
  process.exit(0);
}
