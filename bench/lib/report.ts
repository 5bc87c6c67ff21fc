/* The run's results as JSON and as the Markdown tables docs/performance.md quotes. */
import type { BundleSize } from "./bundle";
import type { IngestRow } from "./ingest";
import { type Endpoint, HELLO_WORLD, type LoadRow } from "./load";
import type { RoundTripRow } from "./round-trips";

export interface ScaleRow {
  endpoint: LoadRow["endpoint"];
  connections: number;
  baseline: string;
  data: string;
  mean_ms: number;
  baseline_mean_ms: number;
  ratio_mean: number;
  p99_ms: number;
  baseline_p99_ms: number;
  ratio_p99: number;
}

export interface BenchResults {
  date: string;
  wall_seconds: number;
  machine: { cpus: number; model: string | undefined; node: string; load_average: number[] };
  settings: { duration_s: number; full: boolean; as_of_date: string };
  bundle: BundleSize | { error: string };
  /** Counted live on wrangler dev; empty when the Worker phase did not run. */
  round_trips: RoundTripRow[];
  load: LoadRow[];
  ingest: IngestRow[];
  scale: ScaleRow[];
  targets: TargetCheck[];
  notes: string[];
}

/** The hello world's rows that the endpoints are compared with (one load-generator thread). */
const HELLO_TARGET = "hello world";

/** At this many connections the targets apply. */
const TARGET_CONNECTIONS = 10;
/** Each endpoint's p99 at TARGET_CONNECTIONS, at most. */
const P99_TARGET_MS = 10;
/** Throughput targets: req/s at TARGET_CONNECTIONS, as a percentage of the hello world's. */
const SHARE_TARGETS: { endpoint: Endpoint; percent: number }[] = [
  { endpoint: "GET /api", percent: 70 },
  { endpoint: "GET /view-loans/{id}", percent: 27 },
  { endpoint: "POST /check-eligibility", percent: 18 },
];

export interface TargetCheck {
  target: string;
  data: string;
  endpoint: string;
  goal: string;
  /** The measured percentage or p99 ms; null when that run is missing. */
  measured: number | null;
  met: boolean | null;
}

/**
 * Each row's req/s as a percentage of the hello world's at the same connections: the mean of the
 * hello world measured last before the row and first after it (rows in the order they ran), or
 * the one of them there is.
 */
export function withShareOfHelloWorld(load: LoadRow[]): LoadRow[] {
  const isCeiling = (row: LoadRow) => row.target === HELLO_TARGET && row.endpoint === HELLO_WORLD;
  return load.map((row, index) => {
    // The hello world is the ceiling, not measured against it (nor is the load generator check).
    if (row.endpoint === HELLO_WORLD) return row;
    const sameConnections = (r: LoadRow) => isCeiling(r) && r.connections === row.connections;
    const around = [
      load.slice(0, index).findLast(sameConnections),
      load.slice(index + 1).find(sameConnections),
    ].flatMap((r) => (r ? [r.requests_per_second] : []));
    const ceiling = around.reduce((sum, rps) => sum + rps, 0) / around.length;
    if (!(ceiling > 0)) return { ...row, percent_of_hello_world: null };
    return {
      ...row,
      hello_world_requests_per_second: Math.round(ceiling),
      percent_of_hello_world: Math.round((row.requests_per_second / ceiling) * 1000) / 10,
    };
  });
}

/** The targets for one server configuration on one data set: met, not met, or not measured. */
export function targetChecks(load: LoadRow[], target: string, data: string): TargetCheck[] {
  const rows = load.filter(
    (r) => r.target === target && r.data === data && r.connections === TARGET_CONNECTIONS,
  );
  const shares = SHARE_TARGETS.map(({ endpoint, percent }) => {
    const measured = rows.find((r) => r.endpoint === endpoint)?.percent_of_hello_world ?? null;
    return {
      target,
      data,
      endpoint,
      goal: `≥ ${percent} % of hello world`,
      measured,
      met: measured === null ? null : measured >= percent,
    };
  });
  const latencies: TargetCheck[] = rows.map((r) => ({
    target,
    data,
    endpoint: r.endpoint,
    goal: `p99 ≤ ${P99_TARGET_MS} ms`,
    measured: r.latency_p99_ms,
    met: r.latency_p99_ms <= P99_TARGET_MS,
  }));
  if (latencies.length === 0) {
    latencies.push({
      target,
      data,
      endpoint: "every endpoint",
      goal: `p99 ≤ ${P99_TARGET_MS} ms`,
      measured: null,
      met: null,
    });
  }
  return [...shares, ...latencies];
}

/** Each scale data set against the smallest one, for the same endpoint and connections. */
export function scaleRows(load: LoadRow[], baseline: string, others: string[]): ScaleRow[] {
  const rows: ScaleRow[] = [];
  for (const data of others) {
    for (const row of load.filter((r) => r.target === "node" && r.data === data)) {
      const base = load.find(
        (r) =>
          r.target === "node" &&
          r.data === baseline &&
          r.endpoint === row.endpoint &&
          r.connections === row.connections,
      );
      if (!base) continue;
      rows.push({
        endpoint: row.endpoint,
        connections: row.connections,
        baseline,
        data,
        mean_ms: row.latency_from_rate_ms,
        baseline_mean_ms: base.latency_from_rate_ms,
        ratio_mean: ratio(row.latency_from_rate_ms, base.latency_from_rate_ms),
        p99_ms: row.latency_p99_ms,
        baseline_p99_ms: base.latency_p99_ms,
        ratio_p99: ratio(row.latency_p99_ms, base.latency_p99_ms),
      });
    }
  }
  return rows;
}

export function markdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `# npm run bench — ${results.date}`,
    "",
    `${m.cpus} × ${m.model ?? "?"}, Node ${m.node}, load average at start ${m.load_average.join(" ")}` +
      ` (a shared machine). ${results.settings.duration_s} s per run, AS_OF_DATE=${results.settings.as_of_date},` +
      ` BENCH_FULL=${results.settings.full ? 1 : 0}. Whole run: ${results.wall_seconds} s.`,
    "",
    "## Requests",
    "",
    "Mean ms = connections × 1000 / req/s (autocannon's histogram counts whole ms, so its own mean",
    "reads low below 1 ms; the fixed-amount write runs on wrangler dev show autocannon's mean; wrk's is exact);",
    "load = the machine's 1-minute load average after the run.",
    "",
    "| target | data | endpoint | conns | req/s | % of hello world | mean ms | p50 ms | p99 ms | requests | status codes | errors | load |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...results.load.map(
      (r) =>
        `| ${r.target}${r.load_workers ? ` (${r.load_workers} ${r.load_generator} thread${r.load_workers === 1 ? "" : "s"})` : ""} | ${r.data} | ${r.endpoint} | ${r.connections} | ${r.requests_per_second} | ${share(r)} | ${r.latency_from_rate_ms} | ${r.latency_p50_ms} | ${r.latency_p99_ms} | ${r.requests} | ${codes(r.status_codes)} | ${r.errors} | ${r.load_average} |`,
    ),
    "",
    `## Targets (at ${TARGET_CONNECTIONS} connections)`,
    "",
    "| target | data | endpoint | goal | measured | |",
    "|---|---|---|---|---|---|",
    ...results.targets.map(
      (t) =>
        `| ${t.target} | ${t.data} | ${t.endpoint} | ${t.goal} | ${t.measured ?? "not measured"}${t.measured === null ? "" : t.goal.startsWith("p99") ? " ms" : " %"} | ${mark(t.met)} |`,
    ),
    "",
    "## Scale: latency against the smallest data set (same harness, same connections)",
    "",
    "| endpoint | conns | data | mean ms | baseline mean ms | ratio | p99 ms | baseline p99 ms | ratio |",
    "|---|---|---|---|---|---|---|---|---|",
    ...results.scale.map(
      (r) =>
        `| ${r.endpoint} | ${r.connections} | ${r.data} vs ${r.baseline} | ${r.mean_ms} | ${r.baseline_mean_ms} | ${r.ratio_mean}× | ${r.p99_ms} | ${r.baseline_p99_ms} | ${r.ratio_p99}× |`,
    ),
    "",
    "## Ingestion (script → ingest endpoint → queue → consumer → database)",
    "",
    "| target | data | rows landed / read | end to end s | rows/s | script's own s | script peak RSS | exit |",
    "|---|---|---|---|---|---|---|---|",
    ...results.ingest.map(
      (r) =>
        `| ${r.target} | ${r.data} | ${r.rows_landed} / ${r.rows_read} | ${r.seconds} | ${r.rows_per_second} | ${r.script_seconds} | ${r.peak_rss_mb ?? "?"} MB | ${r.exit_code} |`,
    ),
    "",
    "## Worker bundle (`wrangler deploy --dry-run --outdir`)",
    "",
    "error" in results.bundle
      ? `not measured: ${results.bundle.error}`
      : `${results.bundle.file}: ${results.bundle.raw_kib} KiB raw, ${results.bundle.gzip_kib} KiB gzip (CI budget ${results.bundle.budget_gzip_kib} KB gzip)`,
    "",
    "## D1 round trips per request (counted live on wrangler dev via Server-Timing; budget enforced by test/routes/round-trips.test.ts)",
    "",
    ...(results.round_trips.length === 0
      ? [
          "not counted: the wrangler dev phase did not run (BENCH_WORKER=0) or failed; see the notes",
        ]
      : [
          "| endpoint | counted | budget | status |",
          "|---|---|---|---|",
          ...results.round_trips.map(
            (r) =>
              `| ${r.endpoint} | ${r.counted ?? "no header"}${r.counted !== null && r.counted > r.budget ? " (over budget)" : ""} | ${r.budget} | ${r.status} |`,
          ),
        ]),
    "",
    ...(results.notes.length > 0 ? ["## Notes", "", ...results.notes.map((n) => `- ${n}`)] : []),
    "",
  ];
  return lines.join("\n");
}

function share(row: LoadRow): string {
  if (row.percent_of_hello_world == null) return "—";
  return `${row.percent_of_hello_world} % of ${row.hello_world_requests_per_second}`;
}

function mark(met: boolean | null): string {
  if (met === null) return "not measured";
  return met ? "met" : "**not met**";
}

function codes(status: Record<string, number>): string {
  return Object.entries(status)
    .map(([code, count]) => `${code}: ${count}`)
    .join(", ");
}

function ratio(value: number, base: number): number {
  return base > 0 ? Math.round((value / base) * 100) / 100 : 0;
}
