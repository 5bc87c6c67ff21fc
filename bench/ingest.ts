/**
 * `npm run bench:ingest -- --loans 1000000`: one ingest of a generated data set into a fresh Node
 * server (`npm run serve` on a scratch libSQL file), nothing else. Prints rows/s end to end (the
 * ingest script's own figure, from its start until every row landed), the script's peak RSS
 * (`/usr/bin/time -v`) and the server's (its processes' VmHWM, read just before it stops), with
 * the load average.
 *
 *   --loans N          data set size (default 100000; 10 loans per customer; cached in .bench-data/)
 *   --runs N           ingests, each into a fresh server (default 1)
 *   --profile DIR      `node --cpu-prof` on the script and the server, profiles written to DIR
 *   --server-env LIST  environment of the server, e.g. "INGEST_QUEUE_BATCH_SIZE=10" (comma-separated)
 *
 * About a minute per run at 1 M loans once the workbooks exist (generating them takes ~1 minute).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { generated, ingest } from "./lib/ingest";
import {
  groupPeakRssMb,
  NODE_INGEST_TOKEN,
  startNodeServer,
  stopAll,
  stopAllOnSignals,
} from "./lib/processes";

const { values: args } = parseArgs({
  options: {
    loans: { type: "string", default: "100000" },
    runs: { type: "string", default: "1" },
    profile: { type: "string" },
    "server-env": { type: "string", default: "" },
  },
});

const scratch = await mkdtemp(join(tmpdir(), "credit-bench-ingest-"));
stopAllOnSignals(() => rm(scratch, { recursive: true, force: true }));
const profileDir = args.profile === undefined ? null : resolve(args.profile);
if (profileDir) await mkdir(profileDir, { recursive: true });
const nodeFlags = (name: string) =>
  profileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, name)}`] : [];

try {
  const set = await generated(Number(args.loans), 10 * 60_000);
  for (let run = 1; run <= Number(args.runs); run += 1) {
    const serverEnv = parseEnv(args["server-env"]);
    const server = await startNodeServer(
      join(scratch, `run-${run}.db`),
      serverEnv,
      undefined,
      nodeFlags("server"),
    );
    const load = loadavg()[0]?.toFixed(2);
    try {
      const row = await ingest(
        "node",
        server.url,
        NODE_INGEST_TOKEN,
        set,
        join(scratch, `report-${run}.json`),
        10 * 60_000,
        nodeFlags("script"),
      );
      const serverRss = await groupPeakRssMb(server.group);
      console.log(
        JSON.stringify({
          run,
          data: set.name,
          rows_landed: row.rows_landed,
          rows_read: row.rows_read,
          script_seconds: row.script_seconds,
          rows_per_second: Math.round(row.rows_landed / row.script_seconds),
          script_peak_rss_mb: row.peak_rss_mb,
          server_peak_rss_mb: serverRss,
          exit_code: row.exit_code,
          load_average_before: load,
          load_average_after: loadavg()[0]?.toFixed(2),
        }),
      );
    } finally {
      await server.stop();
    }
  }
} finally {
  await stopAll();
  await rm(scratch, { recursive: true, force: true });
}

/** "A=1,B=2" → { A: "1", B: "2" }. */
function parseEnv(list: string): Record<string, string> {
  const pairs = list.split(",").filter((pair) => pair.includes("="));
  return Object.fromEntries(pairs.map((pair) => pair.split("=", 2).map((part) => part.trim())));
}
