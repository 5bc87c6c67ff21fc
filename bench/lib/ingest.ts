/*
 * Ingestion, end to end: generated workbooks (cached in .bench-data/, same seed → same rows) sent
 * by the real ingest script, run as a child process under /usr/bin/time -v for its peak RSS.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, runCommand } from "./processes";

export interface DataSet {
  name: string;
  customers: number;
  loans: number;
  customerFile: string;
  loanFile: string;
}

export interface IngestRow {
  target: string;
  data: string;
  rows_read: number;
  rows_landed: number;
  seconds: number;
  rows_per_second: number;
  /** The ingest script's own figure: from its start until every row landed. */
  script_seconds: number;
  peak_rss_mb: number | null;
  /** The script's user + system CPU seconds (`/usr/bin/time -v`), its start-up included. */
  cpu_seconds: number | null;
  exit_code: number | null;
}

/** Ten loans per customer, as in the 1 M / 100 k data set, so per-request work compares. */
export async function generated(loans: number, timeoutMs: number): Promise<DataSet> {
  const customers = Math.max(1, Math.round(loans / 10));
  const name = loans >= 1_000_000 ? `${loans / 1_000_000}m` : `${loans / 1_000}k`;
  const dir = join(ROOT, ".bench-data", name);
  const set = {
    name: `generated ${name} loans`,
    customers,
    loans,
    customerFile: join(dir, "customer_data.xlsx"),
    loanFile: join(dir, "loan_data.xlsx"),
  };
  if (existsSync(set.customerFile) && existsSync(set.loanFile)) return set;
  const result = await runCommand(
    join(ROOT, "node_modules/.bin/tsx"),
    [
      "scripts/generate-data.ts",
      ...["--customers", String(customers), "--loans", String(loans)],
      ...["--out", dir, "--seed", "1"],
    ],
    timeoutMs,
  );
  if (result.code !== 0) throw new Error(`generate-data failed: ${result.stderr.slice(-1000)}`);
  return set;
}

export const LENDER_DATA: DataSet = {
  name: "lender's workbooks",
  customers: 300,
  loans: 782,
  customerFile: join(ROOT, "data/customer_data.xlsx"),
  loanFile: join(ROOT, "data/loan_data.xlsx"),
};

interface ReportCounts {
  rows_read: number;
  landed: number;
}

export async function ingest(
  target: string,
  url: string,
  token: string,
  set: DataSet,
  reportFile: string,
  timeoutMs: number,
  /** Node flags for the script, e.g. `--cpu-prof`. */
  nodeFlags: string[] = [],
  /** The checkout whose ingest script runs (another commit's worktree for a comparison). */
  root = ROOT,
): Promise<IngestRow> {
  const result = await runCommand(
    "/usr/bin/time",
    [
      "-v",
      process.execPath,
      ...nodeFlags,
      ...["--import", "tsx", "scripts/ingest.ts"],
      ...["--url", url, "--token", token],
      ...["--customers", set.customerFile, "--loans", set.loanFile, "--report", reportFile],
    ],
    timeoutMs,
    {},
    root,
  );
  const report = JSON.parse(await readFile(reportFile, "utf8").catch(() => "{}")) as {
    customers?: ReportCounts;
    loans?: ReportCounts;
    duration_ms?: number;
  };
  const read = (report.customers?.rows_read ?? 0) + (report.loans?.rows_read ?? 0);
  const landed = (report.customers?.landed ?? 0) + (report.loans?.landed ?? 0);
  const seconds = result.ms / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1];
  const user = /User time \(seconds\): ([\d.]+)/.exec(result.stderr)?.[1];
  const system = /System time \(seconds\): ([\d.]+)/.exec(result.stderr)?.[1];
  if (result.code !== 0) {
    console.error(`ingest of ${set.name} exited ${result.code}:\n${result.stdout.slice(-1500)}`);
  }
  return {
    target,
    data: set.name,
    rows_read: read,
    rows_landed: landed,
    seconds: Math.round(seconds * 10) / 10,
    rows_per_second: Math.round(landed / seconds),
    script_seconds: Math.round((report.duration_ms ?? 0) / 100) / 10,
    peak_rss_mb: rss === undefined ? null : Math.round(Number(rss) / 1024),
    cpu_seconds: user === undefined || system === undefined ? null : Number(user) + Number(system),
    exit_code: result.code,
  };
}
