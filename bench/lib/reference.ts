/*
 * `npm run bench:reference`'s pure parts: the two requests the performance issue measured its
 * reference on, the fields both servers must agree on before their figures compare, and the
 * report (medians over the interleaved rounds).
 */
import type { PreparedRequest, WrkResult } from "./wrk";

export type ReferenceEndpoint = "GET /view-loans/8" | "POST /check-eligibility";
export type ReferenceTarget = "reference (Django/DRF)" | "product (npm run serve)";

/** The issue's two requests: customer 8's loans, and an eligibility check for customer 173. */
export function referenceRequest(endpoint: ReferenceEndpoint): PreparedRequest {
  if (endpoint === "GET /view-loans/8") return { method: "GET", path: "/view-loans/8" };
  return { method: "POST", path: "/check-eligibility", body: eligibilityBody(173) };
}

/** One loan request, the same for every customer compared: ₹1,00,000 at 11.5 % over 24 months. */
export function eligibilityBody(customerId: number): string {
  return JSON.stringify({
    customer_id: customerId,
    loan_amount: 100_000,
    interest_rate: 11.5,
    tenure: 24,
  });
}

/** The issue's figures for its reference, measured on another day's machine of this class. */
const ISSUE_REFERENCE_RPS: Record<ReferenceEndpoint, number> = {
  "GET /view-loans/8": 940,
  "POST /check-eligibility": 620,
};

type Json = Record<string, unknown>;

const LOAN_FIELDS = [
  "loan_id",
  "loan_amount",
  "interest_rate",
  "monthly_installment",
  "tenure",
  "emis_paid_on_time",
  "repayments_left",
  "start_date",
  "end_date",
  "is_current",
] as const;

const ELIGIBILITY_FIELDS = [
  "customer_id",
  "approval",
  "corrected_interest_rate",
  "rate_floor",
  "monthly_installment",
  "credit_score",
  "current_loans_amount",
  "current_loans_emi",
  "approved_limit",
] as const;

/** view-loans: each loan's key fields, in order; a line per difference (none: they agree). */
export function loansDiffer(product: unknown, reference: unknown): string[] {
  if (!Array.isArray(product) || !Array.isArray(reference)) return ["not both lists of loans"];
  if (product.length !== reference.length) {
    return [`${product.length} loans against ${reference.length}`];
  }
  return product.flatMap((loan: Json, index) =>
    fieldsDiffer(loan, reference[index] as Json, LOAN_FIELDS, `loan ${index + 1}`),
  );
}

/**
 * check-eligibility: the decision, the score and each component's points, and the refusal codes
 * (the product gives each with a message, the stand-in the code alone).
 */
export function eligibilityDiffers(product: unknown, reference: unknown): string[] {
  const p = (product ?? {}) as Json;
  const r = (reference ?? {}) as Json;
  const differences = fieldsDiffer(p, r, ELIGIBILITY_FIELDS, "answer");
  const points = (answer: Json) =>
    listOf(answer.score_breakdown).map((entry) => `${entry.component}=${entry.points}`);
  const codes = (answer: Json) =>
    listOf(answer.reasons).map((reason) => (typeof reason === "string" ? reason : reason.code));
  for (const [name, read] of [
    ["score_breakdown", points],
    ["reasons", codes],
  ] as const) {
    const [mine, theirs] = [read(p).join(","), read(r).join(",")];
    if (mine !== theirs) differences.push(`answer ${name}: ${mine} against ${theirs}`);
  }
  return differences;
}

function fieldsDiffer(p: Json, r: Json, fields: readonly string[], where: string): string[] {
  return fields
    .filter((field) => JSON.stringify(p?.[field]) !== JSON.stringify(r?.[field]))
    .map(
      (field) =>
        `${where} ${field}: ${JSON.stringify(p?.[field])} against ${JSON.stringify(r?.[field])}`,
    );
}

function listOf(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

export interface ReferenceRun {
  round: number;
  endpoint: ReferenceEndpoint;
  target: ReferenceTarget;
  result: WrkResult;
  /** The machine's 1-minute load average when the run ended (it is shared). */
  loadAverage: number;
  /** CPU seconds the server's processes used during the run (null: /proc not readable). */
  cpuSeconds: number | null;
}

export interface ReferenceRow {
  endpoint: ReferenceEndpoint;
  target: ReferenceTarget;
  /** Each round's req/s, in order. */
  rounds: number[];
  medianRps: number;
  medianP99Ms: number;
  /**
   * The server's CPU time per request, in µs: on a machine others share, req/s follows their load
   * and this far less.
   */
  medianCpuUsPerRequest: number | null;
  /** Answers other than 2xx/3xx, and socket errors, over every round: both should be 0. */
  failures: number;
}

export function summarise(runs: ReferenceRun[], median: (values: number[]) => number) {
  const rows: ReferenceRow[] = [];
  for (const run of runs) {
    if (rows.some((row) => row.endpoint === run.endpoint && row.target === run.target)) continue;
    const same = runs.filter((r) => r.endpoint === run.endpoint && r.target === run.target);
    const rates = same.map((r) => r.result.requests / r.result.seconds);
    rows.push({
      endpoint: run.endpoint,
      target: run.target,
      rounds: rates.map((rate) => Math.round(rate)),
      medianRps: Math.round(median(rates)),
      medianP99Ms: Math.round(median(same.map((r) => r.result.latencyP99Ms)) * 10) / 10,
      medianCpuUsPerRequest: cpuPerRequest(same, median),
      failures: same.reduce(
        (sum, r) => sum + (r.result.statusCodes["4xx/5xx"] ?? 0) + r.result.errors,
        0,
      ),
    });
  }
  return rows;
}

function cpuPerRequest(runs: ReferenceRun[], median: (values: number[]) => number) {
  const perRequest = runs.flatMap((r) =>
    r.cpuSeconds === null || r.result.requests === 0
      ? []
      : [(r.cpuSeconds * 1e6) / r.result.requests],
  );
  return perRequest.length === runs.length ? Math.round(median(perRequest)) : null;
}

/** Product req/s over the reference's, per endpoint, to one decimal. */
export function ratios(rows: ReferenceRow[]): Partial<Record<ReferenceEndpoint, number>> {
  const out: Partial<Record<ReferenceEndpoint, number>> = {};
  for (const endpoint of Object.keys(ISSUE_REFERENCE_RPS) as ReferenceEndpoint[]) {
    const product = rows.find((r) => r.endpoint === endpoint && r.target.startsWith("product"));
    const reference = rows.find((r) => r.endpoint === endpoint && r.target.startsWith("reference"));
    if (product && reference && reference.medianRps > 0) {
      out[endpoint] = Math.round((product.medianRps / reference.medianRps) * 10) / 10;
    }
  }
  return out;
}

/** The stand-in's CPU time per request over the product's, to one decimal. */
function cpuRatio(rows: ReferenceRow[], endpoint: ReferenceEndpoint): number | null {
  const cpu = (prefix: string) =>
    rows.find((r) => r.endpoint === endpoint && r.target.startsWith(prefix))
      ?.medianCpuUsPerRequest ?? null;
  const [product, reference] = [cpu("product"), cpu("reference")];
  return product && reference !== null ? Math.round((reference / product) * 10) / 10 : null;
}

export interface ReferenceReport {
  date: string;
  commit: string;
  wrk: string;
  loadAverages: { start: number[]; end: number[] };
  productProcesses: number;
  compared: string;
  rows: ReferenceRow[];
}

export function markdown(report: ReferenceReport): string {
  const ratio = ratios(report.rows);
  const lines = [
    `# npm run bench:reference, ${report.date}`,
    "",
    `Commit ${report.commit}; ${report.wrk}; load average ${report.loadAverages.start.join(", ")} at the start, ${report.loadAverages.end.join(", ")} at the end. The product ran ${report.productProcesses} processes; the reference gunicorn with 2 sync workers. ${report.compared}`,
    "",
    "| endpoint | server | req/s (median) | rounds | p99 (median) | CPU per request (median) | non-2xx + errors |",
    "|---|---|---|---|---|---|---|",
    ...report.rows.map(
      (row) =>
        `| \`${row.endpoint}\` | ${row.target} | ${row.medianRps.toLocaleString("en")} | ${row.rounds.map((r) => r.toLocaleString("en")).join(", ")} | ${row.medianP99Ms} ms | ${row.medianCpuUsPerRequest === null ? "?" : `${row.medianCpuUsPerRequest.toLocaleString("en")} µs`} | ${row.failures} |`,
    ),
    "",
    ...(Object.keys(ISSUE_REFERENCE_RPS) as ReferenceEndpoint[]).map((endpoint) => {
      const product = report.rows.find(
        (r) => r.endpoint === endpoint && r.target.startsWith("product"),
      );
      const issue = ISSUE_REFERENCE_RPS[endpoint];
      const againstIssue = product ? Math.round((product.medianRps / issue) * 10) / 10 : "?";
      const cpu = cpuRatio(report.rows, endpoint);
      return `- \`${endpoint}\`: the product at ${ratio[endpoint] ?? "?"}× the stand-in's req/s measured in this run (${againstIssue}× the issue's ${issue} req/s from another day); the stand-in spends ${cpu ?? "?"}× the product's CPU time on a request.`;
    }),
    "",
  ];
  return lines.join("\n");
}
