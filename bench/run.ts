/**
 * `npm run bench`: the whole benchmark, on 127.0.0.1, bounded in time, stopping all it starts.
 *
 *   1. the Worker bundle, raw and gzip (`wrangler deploy --dry-run --outdir`);
 *   2. the ceiling: a Hono hello world on @hono/node-server, one process (bench/hello-world.ts),
 *      at 10 connections with one load-generator thread (wrk, or autocannon without it) and with
 *      one per core (what limits it);
 *   3. the Node server (libSQL file) with 10 k generated loans, loaded by the ingest script
 *      (rows/s, peak RSS); then, on copies of that file, every endpoint with WEB_CONCURRENCY unset
 *      (the default) at 1 and 10 connections and with WEB_CONCURRENCY=1 at 10, the hello world
 *      measured before, between and after, and right before each endpoint at 10 connections:
 *      each endpoint's req/s as a percentage of the hello world's around it (interleaved); the
 *      targets checked at 10 connections;
 *   4. the default Node server with 100 k loans (and 1 M with BENCH_FULL=1): ingest, then
 *      view-loans and check-eligibility again, compared with 10 k (the scale table);
 *   5. `wrangler dev` with the lender's workbooks and SERVER_TIMING=true: the D1 round trips of one
 *      request per endpoint case, read from its Server-Timing header; then every endpoint
 *      (writes: a few requests only, within the rate-limit binding's per-minute limit).
 *
 *   BENCH_DURATION  seconds per run (default 5)
 *   BENCH_FULL=1    adds the 1 M-loan / 100 k-customer data set (about 4 more minutes)
 *   BENCH_WORKER=0  skips wrangler dev
 *
 * Writes bench/results/latest.json and bench/results/latest.md (gitignored).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { workerBundle } from "./lib/bundle";
import { generated } from "./lib/ingest";
import { ENDPOINTS, type Endpoint, loadGenerator, loadGeneratorNote } from "./lib/load";
import {
  loadGeneratorCheck,
  NODE_PASSES,
  nodePhase,
  type PhaseResult,
  workerPhase,
} from "./lib/phases";
import { ROOT, stopAll, stopAllOnSignals } from "./lib/processes";
import {
  type BenchResults,
  markdown,
  scaleRows,
  targetChecks,
  withShareOfHelloWorld,
} from "./lib/report";

const FULL = process.env.BENCH_FULL === "1";
const WORKER = process.env.BENCH_WORKER !== "0";
const DURATION = positive(process.env.BENCH_DURATION, 5);
const LIMIT_MS = (FULL ? 20 : 10) * 60_000;
const SCALE_ENDPOINTS: Endpoint[] = ["GET /view-loans/{id}", "POST /check-eligibility"];

const started = performance.now();
const watchdog = setTimeout(() => {
  console.error(`bench: over ${LIMIT_MS / 60_000} minutes, stopping everything`);
  void stopAll().finally(() => process.exit(1));
}, LIMIT_MS);
stopAllOnSignals();

const scratch = await mkdtemp(join(tmpdir(), "credit-bench-"));
const settings = {
  scratch,
  durationSeconds: DURATION,
  connections: [1, 10],
  ingestTimeoutMs: 6 * 60_000,
};
const results: BenchResults = {
  date: new Date().toISOString(),
  wall_seconds: 0,
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model,
    node: process.version,
    load_average: loadavg().map((value) => Math.round(value * 100) / 100),
  },
  settings: { duration_s: DURATION, full: FULL, as_of_date: "2025-06-15" },
  bundle: { error: "not run" },
  round_trips: [],
  load: [],
  ingest: [],
  scale: [],
  targets: [],
  notes: [],
};

try {
  console.log("worker bundle: wrangler deploy --dry-run");
  results.bundle = await workerBundle(join(scratch, "dist"), 3 * 60_000).catch(
    (error: unknown) => ({ error: (error as Error).message.slice(0, 500) }),
  );

  console.log(`hello world: one ${loadGenerator()} thread, then one per core`);
  const generatorNote = loadGeneratorNote(loadGenerator());
  if (generatorNote) {
    console.warn(`  WARNING: ${generatorNote}`);
    results.notes.push(generatorNote);
  }
  results.load.push(...(await loadGeneratorCheck(settings, cpus().length)));

  const sizes = FULL ? [10_000, 100_000, 1_000_000] : [10_000, 100_000];
  const names: string[] = [];
  for (const loans of sizes) {
    const set = await generated(loans, 3 * 60_000);
    names.push(set.name);
    // Both configurations on the first data set; the scale sets only need the default one.
    const first = loans === sizes[0];
    const passes = first ? NODE_PASSES : NODE_PASSES.slice(0, 1);
    add(await nodePhase(set, first ? ENDPOINTS : SCALE_ENDPOINTS, settings, passes, first));
  }
  const [baseline, ...others] = names;
  if (baseline !== undefined) results.scale = scaleRows(results.load, baseline, others);

  if (WORKER) add(await workerPhase(settings, 12));
} finally {
  clearTimeout(watchdog);
  await stopAll();
  await rm(scratch, { recursive: true, force: true });
}

results.wall_seconds = Math.round((performance.now() - started) / 1000);
results.load = withShareOfHelloWorld(results.load);
const targetData = results.load.find((row) => row.target === "node")?.data ?? "";
results.targets = NODE_PASSES.flatMap((pass) =>
  targetChecks(results.load, pass.target, targetData),
);
const out = join(ROOT, "bench/results");
await writeFile(join(out, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
await writeFile(join(out, "latest.md"), markdown(results));
console.log(markdown(results));
console.log(
  `results: bench/results/latest.json, bench/results/latest.md (${results.wall_seconds} s)`,
);

function add(phase: PhaseResult): void {
  results.load.push(...phase.load);
  results.ingest.push(phase.ingest);
  if (phase.roundTrips) results.round_trips = phase.roundTrips;
  results.notes.push(...(phase.notes ?? []));
}

function positive(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}
