/**
 * `npm run bench:ingest -- --loans 1000000`: ingests of a generated data set into a fresh Node
 * server each (`npm run serve` on a scratch libSQL file), nothing else. Per run: rows/s end to end
 * (the ingest script's own figure, from its start until every row landed), the script's peak RSS
 * (`/usr/bin/time -v`), the server's (the largest VmHWM among its processes, read just before it
 * stops), the load average, and CPU time a row: the script's (its start-up included) and each
 * server process's during the ingest, busiest first (in a cluster the primary, which consumes, then
 * the HTTP workers). On two cores 20,000 rows/s leaves 100 µs of CPU a row for all of them together.
 *
 *   --loans N          data set size (default 100000; 10 loans per customer; cached in .bench-data/)
 *   --lender           the lender's workbooks in data/ instead of a generated set
 *   --runs N           runs (default 1); with --base, before/after pairs, alternating A B B A …
 *   --base REF         also run the script and server of commit REF (a scratch git worktree) as
 *                      "before", the working tree being "after"; prints the medians and their ratio
 *   --profile DIR      `node --cpu-prof` on the script and the server, profiles written to DIR
 *   --server-env LIST  environment of the servers, e.g. "A=1,B=2"
 *   --before-env LIST  added to the "before" servers' environment (with --base), e.g.
 *                      `--base HEAD --after-env WEB_CONCURRENCY=1` compares two settings of one tree
 *   --after-env LIST   added to the "after" servers' environment
 *
 * About a minute per run at 1 M loans on a quiet machine once the workbooks exist (generating
 * them: ~40 s more); a run is stopped after 30 minutes and reported with exit_code null.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { checkOutBase, git, median, parseEnv } from "./lib/comparison";
import { processCpuSeconds } from "./lib/cpu-time";
import { type DataSet, generated, ingest, LENDER_DATA } from "./lib/ingest";
import {
  groupPeakRssMb,
  NODE_INGEST_TOKEN,
  ROOT,
  startNodeServer,
  stopAll,
  stopAllOnSignals,
} from "./lib/processes";

/** A loaded shared machine can take ten times the quiet-machine minute at 1 M loans. */
const INGEST_TIMEOUT_MS = 30 * 60_000;

const { values: args } = parseArgs({
  options: {
    loans: { type: "string", default: "100000" },
    lender: { type: "boolean", default: false },
    runs: { type: "string", default: "1" },
    base: { type: "string" },
    profile: { type: "string" },
    "server-env": { type: "string", default: "" },
    "before-env": { type: "string", default: "" },
    "after-env": { type: "string", default: "" },
  },
});

type Variant = "before" | "after";
interface RunRow {
  variant: Variant;
  run: number;
  rows_landed: number;
  rows_read: number;
  script_seconds: number;
  rows_per_second: number;
  script_peak_rss_mb: number | null;
  server_peak_rss_mb: number | null;
  script_cpu_us_per_row: number | null;
  /** Each server process's CPU during the ingest, busiest first (empty without /proc). */
  server_cpu_us_per_row: number[];
  exit_code: number | null;
  load_average: string;
}

const scratch = await mkdtemp(join(tmpdir(), "credit-bench-ingest-"));
const baseTree = join(scratch, "base");
stopAllOnSignals(cleanUp);
const profileDir = args.profile === undefined ? null : resolve(args.profile);
const rows: RunRow[] = [];

try {
  if (profileDir) await mkdir(profileDir, { recursive: true });
  if (args.base !== undefined) {
    await checkOutBase(baseTree, git("rev-parse", args.base));
  }
  const set = args.lender ? LENDER_DATA : await generated(Number(args.loans), 10 * 60_000);
  for (let run = 1; run <= Number(args.runs); run += 1) {
    const order: Variant[] =
      args.base === undefined
        ? ["after"]
        : run % 2 === 1
          ? ["before", "after"]
          : ["after", "before"];
    for (const variant of order) {
      const row = await runOnce(variant, run, set);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  await cleanUp();
}
if (args.base !== undefined) console.log(summary());

async function runOnce(variant: Variant, run: number, set: DataSet): Promise<RunRow> {
  const root = variant === "before" ? baseTree : ROOT;
  const flags = (name: string) =>
    profileDir
      ? ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, `${variant}-${run}-${name}`)}`]
      : [];
  const database = join(scratch, `${variant}-${run}.db`);
  const server = await startNodeServer(
    database,
    { ...parseEnv(args["server-env"]), ...parseEnv(args[`${variant}-env`]) },
    root,
    flags("server"),
  );
  const load = loadavg()[0]?.toFixed(2) ?? "";
  const serverCpuBefore = processCpuSeconds(server.group);
  try {
    const report = join(scratch, `report-${variant}-${run}.json`);
    const row = await ingest(
      "node",
      server.url,
      NODE_INGEST_TOKEN,
      set,
      report,
      INGEST_TIMEOUT_MS,
      flags("script"),
      root,
    );
    return {
      variant,
      run,
      rows_landed: row.rows_landed,
      rows_read: row.rows_read,
      script_seconds: row.script_seconds,
      rows_per_second: Math.round(row.rows_landed / row.script_seconds),
      script_peak_rss_mb: row.peak_rss_mb,
      server_peak_rss_mb: await groupPeakRssMb(server.group),
      script_cpu_us_per_row: perRow(row.cpu_seconds, row.rows_landed),
      server_cpu_us_per_row: [...processCpuSeconds(server.group)]
        .map(([pid, seconds]) => perRow(seconds - (serverCpuBefore.get(pid) ?? 0), row.rows_landed))
        .filter((microseconds): microseconds is number => microseconds !== null && microseconds > 0)
        .sort((a, b) => b - a),
      exit_code: row.exit_code,
      load_average: `${load}–${loadavg()[0]?.toFixed(2)}`,
    };
  } finally {
    await server.stop();
    await rm(database, { force: true });
  }
}

/** Microseconds of CPU a landed row, to one decimal; null when either is unknown or nothing landed. */
function perRow(seconds: number | null, rows: number): number | null {
  return seconds === null || rows === 0 ? null : Math.round((seconds / rows) * 1e7) / 10;
}

function summary(): string {
  const of = (variant: Variant, pick: (row: RunRow) => number | null) =>
    median(rows.filter((row) => row.variant === variant).map((row) => pick(row) ?? 0));
  const line = (name: string, pick: (row: RunRow) => number | null) => {
    const [before, after] = [of("before", pick), of("after", pick)];
    return `| ${name} | ${before} | ${after} | ${(after / before).toFixed(2)}× |`;
  };
  return [
    `before: ${args.base} ${args["before-env"]}, after: working tree ${args["after-env"]}; ${args.lender ? "the lender's workbooks" : `${args.loans} loans`}; ${args.runs} pairs; medians`,
    "| | before | after | after ÷ before |",
    "|---|---|---|---|",
    line("rows/s", (row) => row.rows_per_second),
    line("script peak RSS MB", (row) => row.script_peak_rss_mb),
    line("server peak RSS MB", (row) => row.server_peak_rss_mb),
    line("script CPU µs a row", (row) => row.script_cpu_us_per_row),
    line("server CPU µs a row (all processes)", (row) =>
      row.server_cpu_us_per_row.reduce((sum, microseconds) => sum + microseconds, 0),
    ),
  ].join("\n");
}

/** Stops every server, removes the worktree and the scratch files: on success, failure or Ctrl-C. */
async function cleanUp(): Promise<void> {
  await stopAll();
  await rm(scratch, { recursive: true, force: true });
  git("worktree", "prune");
}
