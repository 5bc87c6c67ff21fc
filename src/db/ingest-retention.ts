import { and, gte, inArray, lt, notExists, type SQL, sql } from "drizzle-orm";
import { alias, type SQLiteColumn, type SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "./database";
import { ingestChunks, ingestDeferredLoans, ingestRejections, ingestRemaps } from "./schema";

/*
 * The ingest jobs' retention: a job whose latest chunk activity (`ingest_chunks.updated_at`) is
 * before the cutoff is deleted with every bookkeeping row it has, by the scheduled maintenance
 * (src/db/maintenance.ts), a bounded batch at a time. Its rows of the other tables go first and
 * its chunks last, so a job is never left as rows no chunk names: those could no longer be found
 * as expired, and would show in a later job that took the same id.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The instant before which a job's latest chunk activity makes it expired, as ISO text (the
 * chunks' `updated_at` format): `days` before `nowMs`. One rule for the sweep, which deletes such
 * a job, and the job report, which answers it as unknown from that instant on.
 */
export function ingestRetentionCutoff(nowMs: number, days: number): string {
  return new Date(nowMs - days * DAY_MS).toISOString();
}

/**
 * Whether a job whose chunks' `updated_at` are `updatedAts` is past `cutoffIso` (no chunk at or
 * after it, and so also a job with no chunk), as the sweep judges it: such a job is unknown to its
 * report from the cutoff on, not once the sweep has deleted its last row. Read partly swept, its
 * report fell row by row (its rejected, remapped and deferred counts first, then its chunks) over
 * the runs a big job takes.
 */
export function jobPastRetention(updatedAts: readonly string[], cutoffIso: string): boolean {
  return updatedAts.every((updatedAt) => updatedAt < cutoffIso);
}

/** A job's rows in each bookkeeping table besides its chunks, in the order they are deleted. */
const CHILDREN: readonly { table: SQLiteTable; jobId: SQLiteColumn }[] = [
  { table: ingestRejections, jobId: ingestRejections.jobId },
  { table: ingestRemaps, jobId: ingestRemaps.jobId },
  { table: ingestDeferredLoans, jobId: ingestDeferredLoans.jobId },
];

/** Whether the chunk in the outer query belongs to a job with no activity at or after `cutoff`. */
function jobExpired(db: Database, cutoffIso: string): SQL {
  const latest = alias(ingestChunks, "latest");
  return and(
    lt(ingestChunks.updatedAt, cutoffIso),
    notExists(
      db
        .select({ one: sql`1` })
        .from(latest)
        .where(and(sql`${latest.jobId} = ${ingestChunks.jobId}`, gte(latest.updatedAt, cutoffIso))),
    ),
  ) as SQL;
}

/**
 * The jobs of the `limit` oldest chunks of expired jobs (a job once per chunk): walked through
 * the chunks' `updated_at` index, each chunk's job checked through its `(job_id, updated_at)`
 * index, so the read stops at `limit` expired chunks whatever else the table holds.
 */
function expiredJobsWindow(db: Database, cutoffIso: string, limit: number) {
  return db
    .select({ jobId: ingestChunks.jobId })
    .from(ingestChunks)
    .where(jobExpired(db, cutoffIso))
    .orderBy(ingestChunks.updatedAt)
    .limit(limit);
}

/**
 * Deletes up to `limit` rows of one bookkeeping table (`index` in CHILDREN) that belong to the
 * jobs of the `window` oldest expired chunks; returns them (one column, for their count).
 */
export function deleteExpiredJobRows(
  db: Database,
  index: number,
  cutoffIso: string,
  window: number,
  limit: number,
) {
  const child = CHILDREN[index];
  if (!child) throw new RangeError(`no bookkeeping table ${index}`);
  const rows = db
    .select({ id: sql`rowid` })
    .from(child.table)
    .where(inArray(child.jobId, expiredJobsWindow(db, cutoffIso, window)))
    .limit(limit);
  return db.delete(child.table).where(inArray(sql`rowid`, rows)).returning({ jobId: child.jobId });
}

/**
 * Deletes up to `limit` chunks of expired jobs that have no other bookkeeping row left, oldest
 * first; returns them. The rest of a job's chunks stay expired, so the next batch finds them.
 */
export function deleteExpiredJobChunks(db: Database, cutoffIso: string, limit: number) {
  const childless = CHILDREN.map(({ table, jobId }) =>
    notExists(db.select({ one: sql`1` }).from(table).where(sql`${jobId} = ${ingestChunks.jobId}`)),
  );
  const chunks = db
    .select({ id: sql`${ingestChunks}.rowid` })
    .from(ingestChunks)
    .where(and(jobExpired(db, cutoffIso), ...childless))
    .orderBy(ingestChunks.updatedAt)
    .limit(limit);
  return db
    .delete(ingestChunks)
    .where(inArray(sql`rowid`, chunks))
    .returning({ jobId: ingestChunks.jobId });
}

/**
 * Deletes at most `limit` rows of jobs whose latest chunk activity is before `cutoffIso`: the
 * rows of the jobs of the `limit` oldest expired chunks in the other tables first, table by table,
 * then chunks whose job has nothing else left, each statement taking what the earlier ones left
 * of `limit` (at most four statements, each atomic by itself; none once `limit` is reached).
 * Fewer than `limit` means nothing expired is left: every row of those jobs went, and with it
 * every chunk of theirs, and there were fewer than `limit` expired chunks in all.
 */
export async function deleteExpiredJobs(
  db: Database,
  cutoffIso: string,
  limit: number,
): Promise<number> {
  let deleted = 0;
  for (let index = 0; index < CHILDREN.length && deleted < limit; index++) {
    deleted += (await deleteExpiredJobRows(db, index, cutoffIso, limit, limit - deleted)).length;
  }
  if (deleted < limit)
    deleted += (await deleteExpiredJobChunks(db, cutoffIso, limit - deleted)).length;
  return deleted;
}
