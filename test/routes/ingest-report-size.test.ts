import { describe, expect, it } from "vitest";
import { REPORT_LISTS_AT_MOST } from "../../src/ingest/job-store";
import { backend } from "../support/backend";
import { callJson } from "../support/http";

/*
 * A job report listed every rejected and remapped row: a loans workbook sent before its customers
 * gave a million rejections, read whole on each of the script's polls (10-14 s and 44 MB at
 * 400,000 here), and past some 250,000 more than D1's 50 MB result (Miniflare does not enforce
 * that one). The lists stop at REPORT_LISTS_AT_MOST; the totals still count every row.
 */

const AUTH = { Authorization: "Bearer test-ingest-token" };

interface Report {
  customers: { rejected: number };
  loans: { rejected: number };
  rejections: { kind: string; row: number; seq?: number }[];
  remapped_loans: { row: number; seq?: number }[];
  rejections_not_listed?: number;
  remapped_loans_not_listed?: number;
}

/**
 * A landed job of 500-row loan chunks with `loans` rejected loan rows and `remaps` remapped
 * ones (as the consumer records them), and one rejected customer row.
 */
async function seedJob(jobId: string, loans: number, remaps: number) {
  const chunks = Math.ceil(Math.max(loans, remaps) / 500) + 1;
  const series = (count: number) =>
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1})`;
  await backend().query(
    `${series(chunks)} INSERT INTO ingest_chunks (job_id, seq, kind, rows, status)
     SELECT ?, i, CASE WHEN i = 0 THEN 'customers' ELSE 'loans' END, 500, 'landed' FROM n`,
    [jobId],
  );
  await backend().query(
    `INSERT INTO ingest_rejections (job_id, kind, row, seq, column, reason)
     VALUES (?, 'customers', 2, 0, 'age', 'must be at least 18')`,
    [jobId],
  );
  await backend().query(
    `${series(loans)} INSERT INTO ingest_rejections (job_id, kind, row, seq, column, reason, customer_id)
     SELECT ?, 'loans', 2 + i % 500, 1 + i / 500, 'customer_id', 'UNKNOWN_CUSTOMER', 1000000 + i FROM n`,
    [jobId],
  );
  await backend().query(
    `${series(remaps)} INSERT INTO ingest_remaps (job_id, row, seq, customer_id, source_loan_id, loan_id)
     SELECT ?, 2 + i % 500, 1 + i / 500, 1, 5000000 + i, 6000000 + i FROM n`,
    [jobId],
  );
}

async function report(jobId: string): Promise<Report> {
  const { status, body } = await callJson<Report>(`/ingest/jobs/${jobId}`, { headers: AUTH });
  expect(status).toBe(200);
  return body;
}

describe("a job report with more rows than it lists", () => {
  it("lists the first rejections and remapped loans, and counts every one", async () => {
    await seedJob("many-rejections", REPORT_LISTS_AT_MOST, REPORT_LISTS_AT_MOST + 1);
    const body = await report("many-rejections");

    expect(body.customers.rejected).toBe(1);
    expect(body.loans.rejected).toBe(REPORT_LISTS_AT_MOST);
    expect(body.rejections).toHaveLength(REPORT_LISTS_AT_MOST);
    // In the report's order (kind, row, seq): the customer row first, the last loan row left out.
    expect(body.rejections[0]).toMatchObject({ kind: "customers", row: 2, seq: 0 });
    expect(body.rejections.at(-1)).toMatchObject({ kind: "loans", row: 501, seq: 19 });
    expect(body.rejections_not_listed).toBe(1);

    expect(body.remapped_loans).toHaveLength(REPORT_LISTS_AT_MOST);
    expect(body.remapped_loans.at(-1)).toMatchObject({ row: 501, seq: 19 });
    expect(body.remapped_loans_not_listed).toBe(1);
  });

  it("says nothing is left out of a job within the lists", async () => {
    await seedJob("few-rejections", REPORT_LISTS_AT_MOST - 1, REPORT_LISTS_AT_MOST);
    const body = await report("few-rejections");
    expect(body.rejections).toHaveLength(REPORT_LISTS_AT_MOST);
    expect(body.remapped_loans).toHaveLength(REPORT_LISTS_AT_MOST);
    expect(body).not.toHaveProperty("rejections_not_listed");
    expect(body).not.toHaveProperty("remapped_loans_not_listed");
  });
});
