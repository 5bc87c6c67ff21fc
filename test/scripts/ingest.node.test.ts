import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CUSTOMER_BUCKETS } from "../../scripts/lib/customer-buckets";
import { IngestClient } from "../../scripts/lib/ingest-client";
import { type IngestOptions, runIngest } from "../../scripts/lib/ingest-run";
import { type LocalWorker, startLocalWorker } from "../../scripts/lib/local-worker";
import { readAllRows } from "../../scripts/lib/read-all-rows";
import { WorkbookError } from "../../scripts/lib/read-workbook";
import type { JobReport } from "../../src/ingest/job-report";
import { startFlakyProxy } from "../node/flaky-proxy";
import {
  CUSTOMER_HEADERS,
  createScratchDir,
  customerValues,
  LOAN_HEADERS,
  loanValues,
  REAL_CUSTOMERS,
  REAL_LOANS,
  writeLenderWorkbooks,
  writeWorkbook,
} from "../node/ingest-fixtures";
import { reportedUnknownCustomer } from "../support/ingest";

/*
 * The whole ingestion path for real: the script reads the lender's workbooks and sends them to a
 * local Worker (wrangler dev: Miniflare's D1 and Queues), whose consumer writes them.
 */

let worker: LocalWorker;
let scratch: Awaited<ReturnType<typeof createScratchDir>>;
const quiet = () => undefined;

beforeAll(async () => {
  [worker, scratch] = await Promise.all([startLocalWorker(), createScratchDir()]);
}, 90_000);
afterAll(async () => {
  await Promise.all([worker?.stop(), scratch?.remove()]);
});

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${worker.url}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** Runs the ingest script's core quietly against the test Worker; options override the target. */
function ingest(customersFile: string, loansFile: string, overrides: Partial<IngestOptions> = {}) {
  return runIngest({
    url: worker.url,
    token: worker.token,
    customersFile,
    loansFile,
    reportFile: null,
    log: quiet,
    ...overrides,
  });
}

type LoanSummary = { loan_id: number; source_loan_id: number | null };

describe("npm run ingest against a local Worker", () => {
  it("lands all 300 customers and 782 loans with the loan-id policy (docs/ingestion.md#loan-ids), and a second run changes nothing", async () => {
    const first = await ingest(REAL_CUSTOMERS, REAL_LOANS);
    expect(first.complete).toBe(true);
    expect(first.customers).toMatchObject({
      rows_read: 300,
      sent: 300,
      landed: 300,
      rejected: 0,
      dead: 0,
    });
    expect(first.loans).toMatchObject({
      rows_read: 782,
      sent: 782,
      landed: 782,
      rejected: 0,
      dead: 0,
    });
    expect(first.remapped_loans).toHaveLength(29);
    const assigned = first.remapped_loans.map((r) => r.loan_id);
    expect(new Set(assigned).size).toBe(29);
    const fileLoanIds = (await readAllRows(REAL_LOANS, "loans")).valid.map((loan) => loan.loan_id);
    const highestFileId = Math.max(...fileLoanIds);
    for (const id of assigned) expect(id).toBeGreaterThan(highestFileId);

    const client = new IngestClient(worker.url, worker.token);
    expect(await client.storedRows()).toEqual({ customers: 300, loans: 782 });

    const loan1003 = await getJson<{ customer: { id: number } }>("/view-loan/1003");
    expect(loan1003.customer.id).toBe(20);
    const loansOf240 = await getJson<LoanSummary[]>("/view-loans/240");
    expect(loansOf240.some((loan) => loan.source_loan_id === 1003 && loan.loan_id !== 1003)).toBe(
      true,
    );

    const before = await Promise.all(
      [240, 20, 14, 10].map((id) => getJson<LoanSummary[]>(`/view-loans/${id}`)),
    );
    const second = await ingest(REAL_CUSTOMERS, REAL_LOANS);
    expect(second.complete).toBe(true);
    expect(await client.storedRows()).toEqual({ customers: 300, loans: 782 });
    expect(second.remapped_loans.map((r) => r.loan_id)).toEqual(assigned);
    const after = await Promise.all(
      [240, 20, 14, 10].map((id) => getJson<LoanSummary[]>(`/view-loans/${id}`)),
    );
    expect(after).toEqual(before);
  }, 120_000);

  it("sends nothing when a workbook misses a column, naming it", async () => {
    const customers = await writeWorkbook(`${scratch.dir}/customers.xlsx`, [
      { rows: [CUSTOMER_HEADERS, customerValues(5001)] },
    ]);
    const loans = await writeWorkbook(`${scratch.dir}/no-tenure.xlsx`, [
      {
        rows: [
          LOAN_HEADERS.filter((h) => h !== "Tenure"),
          loanValues(5001, 80_001).filter((_, i) => i !== 3),
        ],
      },
    ]);
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      const run = ingest(customers, loans);
      await expect(run).rejects.toThrow(WorkbookError);
      await expect(run).rejects.toThrow(/Tenure/);
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it("sends nothing when the token is wrong", async () => {
    const run = ingest(REAL_CUSTOMERS, REAL_LOANS, { token: "not-the-token" });
    await expect(run).rejects.toThrow(/401/);
  });

  it("fails at the first attempt on https:// to the local Worker's plain-HTTP port, and says so", async () => {
    // workerd says nothing to a TLS hello: each attempt ended in undici's 10 s connect timeout, and
    // the run retried it for two minutes as "Connect Timeout Error".
    const tls = worker.url.replace("http://", "https://");
    const lines: string[] = [];
    const started = Date.now();
    const run = ingest(REAL_CUSTOMERS, REAL_LOANS, { url: tls, log: (line) => lines.push(line) });
    await expect(run).rejects.toThrow(
      `GET ${tls}/ingest/summary failed: TLS handshake got no answer, and the port answers plain HTTP (${worker.url}/ answered 200): use an http:// URL for it`,
    );
    expect(lines.filter((line) => line.startsWith("retrying"))).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it("reports rejected rows with file, row, column and reason, and lands every valid row", async () => {
    const customers = await writeWorkbook(`${scratch.dir}/some-bad.xlsx`, [
      {
        rows: [
          CUSTOMER_HEADERS,
          customerValues(6001),
          customerValues(6002, { 3: "forty" }),
          customerValues(6003),
        ],
      },
    ]);
    const loans = await writeWorkbook(`${scratch.dir}/loans-ok.xlsx`, [
      {
        rows: [LOAN_HEADERS, loanValues(6001, 86_001), loanValues(6003, 86_003)],
        dateColumns: [8, 9],
      },
    ]);
    const report = await ingest(customers, loans);
    expect(report.complete).toBe(false);
    expect(report.customers).toMatchObject({ rows_read: 3, rejected: 1, landed: 2 });
    expect(report.loans).toMatchObject({ rows_read: 2, landed: 2 });
    expect(report.rejected_rows).toEqual([
      { file: "some-bad.xlsx", row: 3, column: "Age", reason: expect.stringMatching(/number/) },
    ]);
  }, 60_000);

  it("rejects only the loan row whose customer never landed, naming its row and customer", async () => {
    const { customers, loans } = await writeLenderWorkbooks(
      { customers: `${scratch.dir}/known.xlsx`, loans: `${scratch.dir}/one-unknown.xlsx` },
      {
        customers: [customerValues(6101), customerValues(6102)],
        loans: [loanValues(6101, 86_101), loanValues(6199, 86_102), loanValues(6102, 86_103)],
      },
    );
    const report = await ingest(customers, loans);
    expect(report.loans).toMatchObject({ rows_read: 3, landed: 2, rejected: 1, dead: 0 });
    expect(report.rejected_rows).toEqual([
      { file: "one-unknown.xlsx", ...reportedUnknownCustomer(3, 6199) },
    ]);
    expect((await getJson<LoanSummary[]>("/view-loans/6102")).map((l) => l.loan_id)).toEqual([
      86_103,
    ]);
  }, 60_000);

  it("rejects a loan row repeating an earlier row's Loan ID and customer instead of letting it overwrite that loan", async () => {
    const { customers, loans } = await writeLenderWorkbooks(
      { customers: `${scratch.dir}/repeat-customers.xlsx`, loans: `${scratch.dir}/repeat.xlsx` },
      {
        customers: [customerValues(6201)],
        // Two loans of one customer under one Loan ID: the upsert key, so one would overwrite.
        loans: [loanValues(6201, 86_201), loanValues(6201, 86_201, { 2: 400_000 })],
      },
    );
    const report = await ingest(customers, loans);
    expect(report.complete).toBe(false);
    expect(report.loans).toMatchObject({ rows_read: 2, landed: 1, rejected: 1, dead: 0 });
    expect(report.remapped_loans).toEqual([]);
    expect(report.rejected_rows).toEqual([
      {
        file: "repeat.xlsx",
        row: 3,
        column: "Loan ID",
        reason: expect.stringMatching(/repeats Loan ID 86201 of customer 6201 from row 2/),
      },
    ]);
    const stored = await getJson<(LoanSummary & { loan_amount: number })[]>("/view-loans/6201");
    expect(stored.map((l) => [l.loan_id, l.loan_amount])).toEqual([[86_201, 250_000]]);
  }, 60_000);

  it("rejects a customer row repeating an earlier row's Customer ID instead of letting it overwrite that customer", async () => {
    const { customers, loans } = await writeLenderWorkbooks(
      {
        customers: `${scratch.dir}/repeat-ids.xlsx`,
        loans: `${scratch.dir}/repeat-ids-loans.xlsx`,
      },
      {
        // The same customer again with other details, and again with another phone number: both
        // used to be sent, the first overwriting row 2 while all three counted as landed.
        customers: [
          customerValues(6301),
          customerValues(6302),
          customerValues(6301, { 1: "Later", 3: 51 }),
          customerValues(6301, { 4: 8_800_006_301 }),
        ],
        loans: [loanValues(6301, 86_301)],
      },
    );
    const report = await ingest(customers, loans);
    expect(report.complete).toBe(false);
    expect(report.customers).toMatchObject({ rows_read: 4, sent: 2, landed: 2, rejected: 2 });
    expect(report.loans).toMatchObject({ rows_read: 1, landed: 1, rejected: 0 });
    expect(report.rejected_rows).toEqual(
      [4, 5].map((row) => ({
        file: "repeat-ids.xlsx",
        row,
        column: "Customer ID",
        reason:
          "repeats Customer ID 6301 from row 2: a customer has one row, so only row 2 is ingested",
      })),
    );
    const loan = await getJson<{ customer: { first_name: string; age: number } }>(
      "/view-loan/86301",
    );
    expect(loan.customer).toMatchObject({ first_name: "Asha", age: 34 });
  }, 60_000);

  it("loses the network mid-run, fails clearly, and a rerun completes with nothing duplicated", async () => {
    const ids = Array.from({ length: 600 }, (_, i) => 40_001 + i);
    const customers = await writeWorkbook(`${scratch.dir}/net-customers.xlsx`, [
      {
        rows: [CUSTOMER_HEADERS, ...ids.map((id) => customerValues(id, { 4: 7_700_000_000 + id }))],
      },
    ]);
    const loans = await writeWorkbook(`${scratch.dir}/net-loans.xlsx`, [
      {
        rows: [LOAN_HEADERS, ...ids.map((id) => loanValues(id, 400_000 + id))],
        dateColumns: [8, 9],
      },
    ]);
    const proxy = await startFlakyProxy(worker.url, 1);
    try {
      const cut = ingest(customers, loans, { url: proxy.url, maxAttempts: 2 });
      await expect(cut).rejects.toThrow(/failed 2 times/);
      expect(proxy.batchesForwarded()).toBe(1);
    } finally {
      await proxy.close();
    }
    const rerun = await ingest(customers, loans);
    expect(rerun.complete).toBe(true);
    expect(rerun.customers.landed).toBe(600);
    expect(rerun.loans.landed).toBe(600);
    const sample = await getJson<LoanSummary[]>(`/view-loans/${ids[0]}`);
    expect(sample).toHaveLength(1);
    const last = await getJson<LoanSummary[]>(`/view-loans/${ids.at(-1)}`);
    expect(last.map((loan) => loan.source_loan_id)).toEqual([400_000 + (ids.at(-1) ?? 0)]);
  }, 120_000);

  it("writes the report when the operator presses Ctrl-C, and exits 130", async () => {
    const ids = Array.from({ length: 50 }, (_, i) => 60_001 + i);
    const { customers, loans } = await writeLenderWorkbooks(
      { customers: `${scratch.dir}/int-customers.xlsx`, loans: `${scratch.dir}/int-loans.xlsx` },
      {
        customers: ids.map((id) => customerValues(id, { 4: 7_900_000_000 + id })),
        loans: ids.map((id) => loanValues(id, 600_000 + id)),
      },
    );
    // Customers get through; the loans' send is cut, so the script sits in its retries.
    const proxy = await startFlakyProxy(worker.url, 1);
    const reportFile = `${scratch.dir}/interrupted.json`;
    const args = ["--url", proxy.url, "--token", worker.token, "--report", reportFile];
    const script = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/ingest.ts", ...args, "--customers", customers, "--loans", loans],
      { cwd: fileURLToPath(new URL("../..", import.meta.url)), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    script.stdout.resume();
    script.stderr.on("data", (chunk: Buffer) => {
      const retrying = stderr.includes("retrying POST /ingest/batches");
      stderr += chunk.toString("utf8");
      // Once: a second Ctrl-C kills the script outright.
      if (!retrying && stderr.includes("retrying POST /ingest/batches")) script.kill("SIGINT");
    });
    try {
      const [code] = (await once(script, "exit")) as [number | null];
      expect(code, stderr).toBe(130);
    } finally {
      script.kill("SIGKILL");
      await proxy.close();
    }
    expect(stderr).toMatch(/ingest failed: interrupted \(SIGINT\)/);
    const report = JSON.parse(await readFile(reportFile, "utf8"));
    expect(report).toMatchObject({
      complete: false,
      error: expect.stringMatching(/^interrupted \(SIGINT\)/),
      customers: { rows_read: 50, landed: 50 },
      loans: { landed: 0 },
    });
  }, 60_000);

  it("stops at Ctrl-C while fetching the final job report from a server gone quiet", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => 61_001 + i);
    const { customers, loans } = await writeLenderWorkbooks(
      {
        customers: `${scratch.dir}/quiet-customers.xlsx`,
        loans: `${scratch.dir}/quiet-loans.xlsx`,
      },
      {
        customers: ids.map((id) => customerValues(id, { 4: 7_910_000_000 + id })),
        loans: ids.map((id) => loanValues(id, 610_000 + id)),
      },
    );
    // Every chunk lands; then the network goes, just before the script's last request.
    const landedAll = (job: unknown) => (job as JobReport).loans.landed === ids.length;
    const proxy = await startFlakyProxy(worker.url, Number.POSITIVE_INFINITY, landedAll);
    const controller = new AbortController();
    const log = (line: string) => {
      if (line.includes("retrying GET /ingest/jobs/")) controller.abort(new Error("interrupted"));
    };
    const started = Date.now();
    try {
      await expect(
        ingest(customers, loans, { url: proxy.url, log, signal: controller.signal }),
      ).rejects.toThrow("interrupted");
    } finally {
      await proxy.close();
    }
    // Not after the client's minute of retries.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);

  it("sends loans regrouped by customer (docs/ingestion.md#chunks), and every one lands", async () => {
    const ids = Array.from({ length: 400 }, (_, i) => 50_001 + i);
    // Two loans per customer, listed in an order unrelated to the customers: 7 × i mod 800.
    const loanRows = Array.from({ length: 800 }, (_, i) => (7 * i) % 800).map((n) =>
      loanValues(ids[n % 400] ?? 0, 500_000 + n),
    );
    const customers = await writeWorkbook(`${scratch.dir}/order-customers.xlsx`, [
      {
        rows: [CUSTOMER_HEADERS, ...ids.map((id) => customerValues(id, { 4: 7_800_000_000 + id }))],
      },
    ]);
    const loans = await writeWorkbook(`${scratch.dir}/order-loans.xlsx`, [
      { rows: [LOAN_HEADERS, ...loanRows], dateColumns: [8, 9] },
    ]);
    const proxy = await startFlakyProxy(worker.url, Number.POSITIVE_INFINITY);
    let report: Awaited<ReturnType<typeof ingest>>;
    try {
      report = await ingest(customers, loans, { url: proxy.url });
    } finally {
      await proxy.close();
    }
    expect(report.complete).toBe(true);
    expect(report.loans.landed).toBe(800);

    type Sent = { messages: { kind: string; rows: { customer_id: number; row: number }[] }[] };
    const sent = (proxy.forwardedBatches() as Sent[])
      .flatMap((batch) => batch.messages)
      .filter((message) => message.kind === "loans")
      .flatMap((message) => message.rows);
    expect(sent.map((row) => row.row).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 800 }, (_, i) => i + 2),
    );
    // Fewer than a chunk per bucket: all of it goes out at the end, lowest customers first.
    // The workbook's 400 customer ids in 20 ranges of 20.
    const buckets = sent.map((row) => Math.floor((row.customer_id - 50_001) / 20));
    expect(CUSTOMER_BUCKETS).toBe(20);
    expect(new Set(buckets).size).toBe(20);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    const inFileOrder = loanRows.map((values) => Number(values[0]));
    expect(inFileOrder).not.toEqual([...inFileOrder].sort((a, b) => a - b));
  }, 120_000);
});
