/* The run's results as JSON and as the Markdown tables docs/performance.md quotes. */
import type { BundleSize } from "./bundle";
import type { IngestRow } from "./ingest";
import type { Endpoint, LoadRow } from "./load";
import type { RoundTripRow } from "./round-trips";

export interface ScaleRow {
  endpoint: Endpoint;
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
  notes: string[];
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
    "reads low below 1 ms; the fixed-amount write runs on wrangler dev show autocannon's mean);",
    "load = the machine's 1-minute load average after the run.",
    "",
    "| target | data | endpoint | conns | req/s | mean ms | p50 ms | p99 ms | requests | status codes | errors | load |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...results.load.map(
      (r) =>
        `| ${r.target} | ${r.data} | ${r.endpoint} | ${r.connections} | ${r.requests_per_second} | ${r.latency_from_rate_ms} | ${r.latency_p50_ms} | ${r.latency_p99_ms} | ${r.requests} | ${codes(r.status_codes)} | ${r.errors} | ${r.load_average} |`,
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

function codes(status: Record<string, number>): string {
  return Object.entries(status)
    .map(([code, count]) => `${code}: ${count}`)
    .join(", ");
}

function ratio(value: number, base: number): number {
  return base > 0 ? Math.round((value / base) * 100) / 100 : 0;
}
