import ExcelJS from "exceljs";
import { describe, expect, it, vi } from "vitest";
import { runIngest } from "../../scripts/lib/ingest-run";
import type { IngestMessage } from "../../src/ingest/messages";
import { startCluster } from "../node/cluster-process";
import { selectFromFile as select } from "../node/file-rows";
import { REAL_CUSTOMERS, REAL_LOANS, scratchFiles } from "../node/ingest-fixtures";
import { serveProcessesPerFile } from "../node/serve-process";
import { until } from "../node/until";

/*
 * `npm run ingest` of the lender's workbooks while the server under it is killed, primary and
 * workers at once (kill -9 of the group, the durable queue's primary among them), the moment it
 * answers 202 to the first loan chunk. Every chunk answered 202 must then be landed or stored.
 * The server is started again on the same file and port, and the script rides the outage out on
 * its own retries: the run must end complete, and the database hold every row of both workbooks
 * once, with its amounts (none missing, none twice, each repeated Loan ID under one new id).
 * durable-queue.node.test.ts checks the stored messages' attempts and delays.
 */

const TOKEN = "crash-during-ingest-token";
const scratch = scratchFiles();
const serve = serveProcessesPerFile(startCluster, { INGEST_TOKEN: TOKEN });

/** The first sheet's rows as [key, the column `value` in paise], sorted. */
async function workbookRows(file: string, key: (values: number[]) => string, value = 0) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const rows: [string, number][] = [];
  workbook.worksheets[0]?.eachRow((row, number) => {
    if (number === 1) return;
    const values = (row.values as unknown[]).slice(1).map(Number);
    if (values.every((v) => Number.isNaN(v) || v === 0)) return; // the trailing blank row
    rows.push([key(values), Math.round((values[value] ?? 0) * 100)]);
  });
  return rows.sort();
}

describe("npm run ingest while npm run serve (WEB_CONCURRENCY=2) is killed under it", () => {
  it("finishes the job after a restart, every row of both workbooks landed once", async () => {
    const database = scratch("ingest.db");
    const first = await serve(database);
    const reportFile = scratch("report.json");
    // The script's requests, watched: the server is killed the moment it acknowledges the first
    // loan chunk (202), before the consumer can have landed all it acknowledged.
    const acknowledged: { job_id: string; seq: number }[] = [];
    const send = globalThis.fetch;
    const watched = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const response = await send(input, init);
      if (String(input).endsWith("/ingest/batches") && response.status === 202) {
        const { messages } = JSON.parse(String(init?.body)) as { messages: IngestMessage[] };
        const loans = messages.filter((message) => message.kind === "loans");
        if (loans.length > 0 && acknowledged.length === 0) process.kill(-first.pid, "SIGKILL");
        acknowledged.push(...loans.map(({ job_id, seq }) => ({ job_id, seq })));
      }
      return response;
    });
    const run = runIngest({
      url: first.url,
      token: TOKEN,
      customersFile: REAL_CUSTOMERS,
      loansFile: REAL_LOANS,
      reportFile,
      // Far over the restart, and a failure in good time when acknowledged chunks are lost.
      stallTimeoutMs: 30_000,
      log: () => undefined,
    });
    // The kill, or the script's end without one (its failure, not a wait for the test's timeout).
    await Promise.race([
      first.exited,
      run.then(() => {
        throw new Error("the ingest ended before the server acknowledged a loan chunk");
      }),
    ]);
    expect(acknowledged.length).toBeGreaterThan(0);
    // Each chunk acknowledged is landed, or stored to be delivered after the restart.
    const kept = await select(
      database,
      `SELECT job_id, seq FROM ingest_chunks WHERE kind = 'loans' AND status = 'landed'
       UNION SELECT json_extract(body, '$.job_id'), json_extract(body, '$.seq') FROM node_queue_messages`,
    );
    expect(kept).toEqual(expect.arrayContaining(acknowledged));

    // Where the script looks for it, as systemd's restart would put it.
    const second = await serve(database, { PORT: new URL(first.url).port });
    const report = await run.finally(() => watched.mockRestore());
    expect(report).toMatchObject({
      complete: true,
      customers: { rows_read: 300, landed: 300, rejected: 0, dead: 0 },
      loans: { rows_read: 782, landed: 782, rejected: 0, dead: 0 },
    });
    expect(report.remapped_loans).toHaveLength(29);

    const customers = await select(database, "SELECT id, monthly_salary_paise FROM customers");
    expect(customers.map((c) => [String(c.id), c.monthly_salary_paise]).sort()).toEqual(
      await workbookRows(REAL_CUSTOMERS, ([id]) => String(id), 5),
    );
    const loans = await select(
      database,
      "SELECT customer_id, source_loan_id, loan_amount_paise FROM loans",
    );
    expect(
      loans.map((l) => [`${l.customer_id}/${l.source_loan_id}`, l.loan_amount_paise]).sort(),
    ).toEqual(await workbookRows(REAL_LOANS, ([customer, loan]) => `${customer}/${loan}`, 2));
    // Each repeated Loan ID under the one new id the report gives it.
    const assigned = await select(
      database,
      "SELECT id, customer_id, source_loan_id FROM loans WHERE id != source_loan_id",
    );
    expect(assigned.map((l) => [l.id, l.customer_id, l.source_loan_id]).sort()).toEqual(
      report.remapped_loans.map((r) => [r.loan_id, r.customer_id, r.source_loan_id]).sort(),
    );
    // The server's own report of the job agrees, and its queue is empty.
    const job = await fetch(`${second.url}/ingest/jobs/${report.job_id}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(await job.json()).toMatchObject({
      done: true,
      customers: { landed: 300, dead: 0, rejected: 0 },
      loans: { landed: 782, dead: 0, rejected: 0 },
    });
    await until(
      () => select(database, "SELECT 1 FROM node_queue_messages"),
      (rows) => rows.length === 0,
      10_000,
    );
    // Its own limits on a loaded machine: two starts (serve-process.ts allows each 60 s), the
    // script's last retry over the restart about 62 s after the kill (backoff 0.5 s doubling to
    // 30 s, 8 attempts), then the landing. 120 s held only while the starts took a few seconds.
  }, 180_000);
});
