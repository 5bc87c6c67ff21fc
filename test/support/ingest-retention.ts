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

const DAY_MS = 86_400_000;
const retention = { decisionRetentionMonths: 25, ingestRetentionDays: 90 };

/**
 * The run's time and its cutoff, 90 days (the default, which the report reads too) before it. The
 * run is now, not a fixed date: the report answers a job past the cutoff as unknown by the real
 * clock, as the app does, so a job the scenario keeps must be recent by that clock too.
 */
function clock() {
  const runAt = Date.now();
  const before = (ms: number) => new Date(runAt - ms).toISOString();
  return { runAt, before, cutoff: before(retention.ingestRetentionDays * DAY_MS) };
}

export async function sweepsExpiredJobsAndKeepsTheRest(backend: RetentionBackend) {
  await clearJobs(backend);
  const { runAt, before, cutoff } = clock();
  const id = (name: string) => `retention-${name}-${crypto.randomUUID()}`;
  const [old, justBefore, atCutoff, recent] = ["old", "before", "at", "recent"].map(id) as [
    string,
    string,
    string,
    string,
  ];
  const messy = { rejections: 3, remaps: 2, deferred: 2 };
  await insertJob(backend, old, { chunks: [before(150 * DAY_MS), before(120 * DAY_MS)], ...messy });
  await insertJob(backend, justBefore, {
    chunks: [before(retention.ingestRetentionDays * DAY_MS + 1)],
    ...messy,
  });
  // Its latest activity exactly 90 days before the run: kept, as for decision records.
  await insertJob(backend, atCutoff, { chunks: [before(300 * DAY_MS), cutoff], ...messy });
  // An old chunk, but a later one of the same job is recent: the job is kept whole.
  await insertJob(backend, recent, { chunks: [before(300 * DAY_MS), before(DAY_MS)], ...messy });
  // Past the cutoff, a job is unknown before the sweep reaches it: its rows are all there.
  const whole = { chunks: 2, rejections: 3, remaps: 2, deferred: 2 };
  expect(await jobRows(backend, old)).toEqual(whole);
  expect(await backend.report(old)).toEqual({
    status: 404,
    detail: `No ingest job ${old} is known.`,
  });
  expect((await backend.report(recent)).status).toBe(200);

  const deleted = await runMaintenance(backend.db, runAt, { retention });
  // Each expired job: 2 or 1 chunks, 3 rejections, 2 remaps, 2 deferred loans.
  expect(deleted.expired_ingest_jobs).toBe(9 + 8);
  expect(await jobRows(backend, old)).toEqual(NONE);
  expect(await jobRows(backend, justBefore)).toEqual(NONE);
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
  // (The job at the cutoff is not asked for: by the time the report reads the clock it may have
  // moved past the cutoff, and the job is then rightly unknown.)
  expect((await backend.report(recent)).status).toBe(200);
}

export async function sweepsABigJobOverSeveralBatches(backend: RetentionBackend) {
  await clearJobs(backend);
  const { runAt, before } = clock();
  const big = `retention-big-${crypto.randomUUID()}`;
  const kept = `retention-kept-${crypto.randomUUID()}`;
  // 40 rows: 12 chunks, 15 rejections, 7 remaps, 6 deferred loans, 200 days old.
  await insertJob(backend, big, {
    chunks: Array.from({ length: 12 }, (_, i) => before(200 * DAY_MS - i * 1000)),
    rejections: 15,
    remaps: 7,
    deferred: 6,
  });
  await insertJob(backend, kept, { chunks: [before(30 * DAY_MS)], rejections: 4 });
  const limits = { rowsPerStatement: 10, statementsPerSweep: 1 };
  const runs: number[] = [];
  const states: Awaited<ReturnType<typeof jobRows>>[] = [];
  // The job is past the cutoff: unknown before the first run, while partly swept and after. The
  // report read what was left (its `rejected`, remapped and deferred counts falling while its
  // chunks' counts stayed) until the last chunk went.
  const reports = [(await backend.report(big)).status];
  for (let run = 0; run < 5; run++) {
    runs.push(
      (await runMaintenance(backend.db, runAt, { retention, limits })).expired_ingest_jobs ?? -1,
    );
    states.push(await jobRows(backend, big));
    reports.push((await backend.report(big)).status);
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
  expect(reports).toEqual([404, 404, 404, 404, 404, 404]);
  expect(await jobRows(backend, kept)).toEqual({
    chunks: 1,
    rejections: 4,
    remaps: 0,
    deferred: 0,
  });
  expect((await backend.report(kept)).status).toBe(200);
}

export async function sweepsManySmallJobsInOneRun(backend: RetentionBackend) {
  await clearJobs(backend);
  const { runAt, before } = clock();
  // 25 jobs of 2 rows each, batches of 10: one run takes them all, across jobs and tables.
  const jobs = Array.from({ length: 25 }, (_, i) => `retention-small-${i}-${crypto.randomUUID()}`);
  for (const job of jobs) {
    await insertJob(backend, job, { chunks: [before(365 * DAY_MS)], rejections: 1 });
  }
  const limits = { rowsPerStatement: 10, statementsPerSweep: 100 };
  const first = await runMaintenance(backend.db, runAt, { retention, limits });
  expect(first.expired_ingest_jobs).toBe(50);
  for (const job of jobs) expect(await jobRows(backend, job)).toEqual(NONE);
}
