import { expect } from "vitest";
import type { Database } from "../../src/db/database";
import { runMaintenance } from "../../src/db/maintenance";

/*
 * The ingest jobs' retention sweep, one scenario for each database: the same SQL through D1's
 * binding (test/db/maintenance.test.ts) and a libSQL file (test/db/ingest-retention.node.test.ts).
 */

export interface RetentionBackend {
  db: Database;
  /** Runs one raw statement with its arguments; returns its rows. */
  query(sql: string, args: unknown[]): Promise<Record<string, unknown>[]>;
  /** The status of `GET /ingest/jobs/{jobId}`, and its problem `detail` when it is one. */
  report(jobId: string): Promise<{ status: number; detail?: string }>;
}

export interface JobRows {
  chunks: string[];
  rejections?: number;
  remaps?: number;
  deferred?: number;
}

/** Empties the bookkeeping tables, so that each scenario counts only its own jobs. */
async function clearJobs(backend: RetentionBackend) {
  for (const table of [
    "ingest_rejections",
    "ingest_remaps",
    "ingest_deferred_loans",
    "ingest_chunks",
  ]) {
    await backend.query(`DELETE FROM ${table}`, []);
  }
}

/** A job's bookkeeping as the consumer leaves it: one chunk per `updated_at`, and its other rows. */
export async function insertJob(backend: RetentionBackend, jobId: string, job: JobRows) {
  const list = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => i + 2));
  await backend.query(
    "INSERT INTO ingest_chunks (job_id, seq, kind, rows, status, rows_landed, attempts, created_at, updated_at) SELECT ?, key, 'loans', 500, 'landed', 500, 1, value, value FROM json_each(?)",
    [jobId, JSON.stringify(job.chunks)],
  );
  await backend.query(
    "INSERT INTO ingest_rejections (job_id, kind, row, seq, \"column\", reason, customer_id) SELECT ?, 'loans', value, 0, 'loan_amount', 'r', NULL FROM json_each(?)",
    [jobId, list(job.rejections ?? 0)],
  );
  await backend.query(
    "INSERT INTO ingest_remaps (job_id, row, seq, customer_id, source_loan_id, loan_id) SELECT ?, value, 0, 1, value, value + 100000 FROM json_each(?)",
    [jobId, list(job.remaps ?? 0)],
  );
  await backend.query(
    "INSERT INTO ingest_deferred_loans (job_id, seq, row, customer_id, source_loan_id, loan) SELECT ?, 0, value, 1, value, '{}' FROM json_each(?)",
    [jobId, list(job.deferred ?? 0)],
  );
}

/** How many rows the job has in each bookkeeping table. */
export async function jobRows(backend: RetentionBackend, jobId: string) {
  const [row] = await backend.query(
    `SELECT (SELECT count(*) FROM ingest_chunks WHERE job_id = ?1) AS chunks,
       (SELECT count(*) FROM ingest_rejections WHERE job_id = ?1) AS rejections,
       (SELECT count(*) FROM ingest_remaps WHERE job_id = ?1) AS remaps,
       (SELECT count(*) FROM ingest_deferred_loans WHERE job_id = ?1) AS deferred`,
    [jobId],
  );
  return {
    chunks: Number(row?.chunks),
    rejections: Number(row?.rejections),
    remaps: Number(row?.remaps),
    deferred: Number(row?.deferred),
  };
}

const NONE = { chunks: 0, rejections: 0, remaps: 0, deferred: 0 };

/** 90 days (the default) before the run: 2026-12-01T10:00:00.000Z. */
const RUN_AT = Date.parse("2027-03-01T10:00:00.000Z");
const CUTOFF = "2026-12-01T10:00:00.000Z";
const retention = { decisionRetentionMonths: 25, ingestRetentionDays: 90 };

export async function sweepsExpiredJobsAndKeepsTheRest(backend: RetentionBackend) {
  await clearJobs(backend);
  const id = (name: string) => `retention-${name}-${crypto.randomUUID()}`;
  const [old, justBefore, atCutoff, recent] = ["old", "before", "at", "recent"].map(id) as [
    string,
    string,
    string,
    string,
  ];
  const messy = { rejections: 3, remaps: 2, deferred: 2 };
  await insertJob(backend, old, {
    chunks: ["2026-10-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"],
    ...messy,
  });
  await insertJob(backend, justBefore, { chunks: ["2026-12-01T09:59:59.999Z"], ...messy });
  // Its latest activity exactly 90 days before the run: kept, as for decision records.
  await insertJob(backend, atCutoff, { chunks: ["2026-01-01T00:00:00.000Z", CUTOFF], ...messy });
  // An old chunk, but a later one of the same job is recent: the job is kept whole.
  await insertJob(backend, recent, {
    chunks: ["2026-01-01T00:00:00.000Z", "2027-02-28T00:00:00.000Z"],
    ...messy,
  });
  expect((await backend.report(old)).status).toBe(200);

  const deleted = await runMaintenance(backend.db, RUN_AT, { retention });
  // Each expired job: 2 or 1 chunks, 3 rejections, 2 remaps, 2 deferred loans.
  expect(deleted.expired_ingest_jobs).toBe(9 + 8);
  expect(await jobRows(backend, old)).toEqual(NONE);
  expect(await jobRows(backend, justBefore)).toEqual(NONE);
  const whole = { chunks: 2, rejections: 3, remaps: 2, deferred: 2 };
  expect(await jobRows(backend, atCutoff)).toEqual(whole);
  expect(await jobRows(backend, recent)).toEqual(whole);

  // A swept job answers as a job that never was.
  const never = await backend.report(id("never"));
  expect(never.status).toBe(404);
  for (const swept of [old, justBefore]) {
    expect(await backend.report(swept)).toEqual({
      status: 404,
      detail: `No ingest job ${swept} is known.`,
    });
  }
  expect((await backend.report(atCutoff)).status).toBe(200);
  expect((await backend.report(recent)).status).toBe(200);
}

export async function sweepsABigJobOverSeveralBatches(backend: RetentionBackend) {
  await clearJobs(backend);
  const big = `retention-big-${crypto.randomUUID()}`;
  const kept = `retention-kept-${crypto.randomUUID()}`;
  // 40 rows: 12 chunks, 15 rejections, 7 remaps, 6 deferred loans.
  await insertJob(backend, big, {
    chunks: Array.from(
      { length: 12 },
      (_, i) => `2026-06-01T00:00:${String(i).padStart(2, "0")}.000Z`,
    ),
    rejections: 15,
    remaps: 7,
    deferred: 6,
  });
  await insertJob(backend, kept, { chunks: ["2027-02-01T00:00:00.000Z"], rejections: 4 });
  const limits = { rowsPerStatement: 10, statementsPerSweep: 1 };
  const runs: number[] = [];
  const states: Awaited<ReturnType<typeof jobRows>>[] = [];
  for (let run = 0; run < 5; run++) {
    runs.push(
      (await runMaintenance(backend.db, RUN_AT, { retention, limits })).expired_ingest_jobs ?? -1,
    );
    states.push(await jobRows(backend, big));
  }
  expect(runs).toEqual([10, 10, 10, 10, 0]);
  // Its other rows first, table by table; its chunks, which name the job, only once they are gone.
  expect(states).toEqual([
    { chunks: 12, rejections: 5, remaps: 7, deferred: 6 },
    { chunks: 12, rejections: 0, remaps: 2, deferred: 6 },
    { chunks: 10, rejections: 0, remaps: 0, deferred: 0 },
    NONE,
    NONE,
  ]);
  expect(await jobRows(backend, kept)).toEqual({
    chunks: 1,
    rejections: 4,
    remaps: 0,
    deferred: 0,
  });
  expect((await backend.report(big)).status).toBe(404);
  expect((await backend.report(kept)).status).toBe(200);
}

export async function sweepsManySmallJobsInOneRun(backend: RetentionBackend) {
  await clearJobs(backend);
  // 25 jobs of 2 rows each, batches of 10: one run takes them all, across jobs and tables.
  const jobs = Array.from({ length: 25 }, (_, i) => `retention-small-${i}-${crypto.randomUUID()}`);
  for (const job of jobs) {
    await insertJob(backend, job, { chunks: ["2026-03-03T03:03:03.003Z"], rejections: 1 });
  }
  const limits = { rowsPerStatement: 10, statementsPerSweep: 100 };
  const first = await runMaintenance(backend.db, RUN_AT, { retention, limits });
  expect(first.expired_ingest_jobs).toBe(50);
  for (const job of jobs) expect(await jobRows(backend, job)).toEqual(NONE);
}
