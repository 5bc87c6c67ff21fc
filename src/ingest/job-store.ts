import { and, eq, gt, ne, notExists, sql } from "drizzle-orm";
import type { Database } from "../db/database";
import { jobPastRetention } from "../db/ingest-retention";
import { element, jsonArraysSelect } from "../db/json-rows";
import {
  customers,
  ingestChunks,
  ingestDeferredLoans,
  ingestRejections,
  ingestRemaps,
  loans,
  NOW_ISO,
} from "../db/schema";
import { sha256Hex } from "../lib/sha256";
import type { IngestMessage } from "./messages";
import type { Rejection } from "./plan-customers";
import type { LoanRow } from "./rows";
import { type ChunkKind, MAX_PARAMS, type Statement, slices } from "./store";

/*
 * An ingest job's bookkeeping: its chunks' states, the rows it rejected and the loan ids it
 * remapped, written in each chunk's own batch, and the report and totals read back from them.
 */

/**
 * Registered chunks carry 8 (job, seq, kind, rows, status, content hash, and the two zero counters
 * drizzle binds for their defaults): 12 per statement, so a full send of 100 chunks is 9 statements.
 */
const CHUNKS_PER_STATEMENT = Math.floor(MAX_PARAMS / 8);
/**
 * Rejections carry 7 bound values each (job, kind, row, seq, column, reason, customer): 14 per
 * statement, so a chunk whose 500 rows are all rejected is 36 statements.
 */
const REJECTIONS_PER_STATEMENT = Math.floor(MAX_PARAMS / 7);
/** Remaps per statement: three parameters each, plus the job id and the chunk's seq. */
const REMAPS_PER_STATEMENT = Math.floor((MAX_PARAMS - 2) / 3);

/**
 * Records where remapped loans landed, reading the id the database gave each: one statement per
 * slice of rows (a list of (row, customer, loan id) joined to the loans on their natural key), so
 * a chunk of duplicates costs a few statements, not one per row. Keyed by the chunk's `seq` as
 * well as the row: a client may number each chunk's rows afresh.
 */
export function recordRemaps(
  db: Database,
  jobId: string,
  seq: number,
  rows: readonly LoanRow[],
): Statement[] {
  return slices(rows, REMAPS_PER_STATEMENT).map((slice) => {
    const remapped = sql.join(
      slice.map((row) => sql`(${row.row}, ${row.customer_id}, ${row.loan_id})`),
      sql`, `,
    );
    return db
      .insert(ingestRemaps)
      .select(
        sql`SELECT ${jobId}, r.column1, ${seq}, r.column2, r.column3, l.id FROM (VALUES ${remapped}) AS r JOIN ${loans} AS l ON l.source_loan_id = r.column3 AND l.customer_id = r.column2`,
      )
      .onConflictDoNothing();
  });
}

/**
 * Records the rows a deferring chunk did not land (plan-loans.ts), each with the row itself for
 * the job report: one statement, the rows bound as one JSON text.
 */
export function recordDeferrals(
  db: Database,
  jobId: string,
  seq: number,
  rows: readonly LoanRow[],
): Statement[] {
  if (rows.length === 0) return [];
  const values = rows.map((row) => [row.row, row.customer_id, row.loan_id, JSON.stringify(row)]);
  return [
    db
      .insert(ingestDeferredLoans)
      .select(
        jsonArraysSelect(ingestDeferredLoans, values, {
          jobId: sql`${jobId}`,
          seq: sql`${seq}`,
          row: element(0),
          customerId: element(1),
          sourceLoanId: element(2),
          loan: element(3),
        }),
      )
      .onConflictDoNothing(),
  ];
}

/**
 * Takes off the job's deferred list the rows an earlier chunk deferred that this chunk (sent
 * without `defer_new_ids`) sent again and rejected: at the bound on their customer's loans, or with
 * no id left. Such a row is no longer waiting; left listed, it was counted both rejected and
 * deferred for good (the list clears only once its loan is stored). One statement, the rows'
 * natural keys bound as one JSON text; matched on the job and the key, as a client may number the
 * rows it sends again afresh.
 */
export function dropRejectedDeferrals(
  db: Database,
  jobId: string,
  seq: number,
  rows: readonly LoanRow[],
): Statement[] {
  if (rows.length === 0) return [];
  const keys = JSON.stringify(rows.map((row) => [row.customer_id, row.loan_id]));
  return [
    db
      .delete(ingestDeferredLoans)
      .where(
        and(
          eq(ingestDeferredLoans.jobId, jobId),
          ne(ingestDeferredLoans.seq, seq),
          sql`(${ingestDeferredLoans.customerId}, ${ingestDeferredLoans.sourceLoanId}) IN (SELECT value ->> 0, value ->> 1 FROM json_each(${keys}))`,
        ),
      ),
  ];
}

/** Records a chunk's rejected rows, each under the chunk's `seq` and its own row number. */
export function recordRejections(
  db: Database,
  jobId: string,
  seq: number,
  kind: ChunkKind,
  rejections: readonly Rejection[],
): Statement[] {
  return slices(rejections, REJECTIONS_PER_STATEMENT).map((slice) =>
    db
      .insert(ingestRejections)
      .values(
        slice.map((r) => ({
          jobId,
          kind,
          row: r.row,
          seq,
          column: r.column,
          reason: r.reason,
          customerId: r.customerId ?? null,
        })),
      )
      .onConflictDoNothing(),
  );
}

export interface ChunkState {
  jobId: string;
  seq: number;
  kind: ChunkKind;
  rows: number;
  status: "queued" | "retrying" | "landed" | "dead";
  rowsLanded?: number;
  attempts?: number;
  lastError?: string | null;
}

/**
 * Creates or moves a chunk's state. A landed chunk never goes back to another state, nor takes
 * another delivery's error. Landing it again sets rows_landed to -1, which the trigger of
 * migrations/0007 refuses, aborting that delivery's whole batch: see `isChunkLandedBefore`
 * (trigger-refusals.ts).
 */
export function upsertChunkState(db: Database, chunk: ChunkState): Statement {
  return db
    .insert(ingestChunks)
    .values({
      ...chunk,
      rowsLanded: chunk.rowsLanded ?? 0,
      attempts: chunk.attempts ?? 0,
      lastError: chunk.lastError ?? null,
    })
    .onConflictDoUpdate({
      target: [ingestChunks.jobId, ingestChunks.seq],
      set: {
        status: sql`CASE WHEN ${ingestChunks.status} = 'landed' THEN 'landed' ELSE excluded.status END`,
        rowsLanded: sql`CASE WHEN ${ingestChunks.status} <> 'landed' THEN excluded.rows_landed WHEN excluded.status = 'landed' THEN -1 ELSE ${ingestChunks.rowsLanded} END`,
        attempts: sql`MAX(${ingestChunks.attempts}, excluded.attempts)`,
        lastError: sql`CASE WHEN ${ingestChunks.status} = 'landed' THEN ${ingestChunks.lastError} ELSE excluded.last_error END`,
        updatedAt: NOW_ISO,
      },
      setWhere: sql`excluded.status <> 'queued'`,
    });
}

/**
 * Registers the chunks these messages carry as queued, each with its content hash; re-sending a
 * chunk leaves its state alone but renews its activity (`updated_at`): a send is activity the
 * database took, so a job past its retention that the sweep has not reached is known again once a
 * send of its chunks is accepted (docs/ingestion.md#retention), as it is for a new chunk. It stayed
 * 404 for good: the redelivery lands nothing and moved nothing. A different chunk under a
 * registered (job_id, seq) makes the database refuse the whole batch (the trigger of
 * migrations/0005): see `isChunkConflict` (trigger-refusals.ts).
 */
export async function registerMessages(
  db: Database,
  messages: readonly IngestMessage[],
): Promise<Statement[]> {
  const chunks = await Promise.all(
    messages.map(async (message) => ({
      ...chunkIdentity(message),
      status: "queued" as const,
      contentHash: await chunkContentHash(message),
    })),
  );
  return slices(chunks, CHUNKS_PER_STATEMENT).map((slice) =>
    db
      .insert(ingestChunks)
      .values(slice)
      .onConflictDoUpdate({
        target: [ingestChunks.jobId, ingestChunks.seq],
        set: { updatedAt: NOW_ISO },
      }),
  );
}

/**
 * SHA-256 (hex) of a chunk's kind and rows. The rows are the row schema's output, whose keys come
 * in the schema's order whatever order the sender wrote them in, so the same chunk always gives
 * the same text; plain JSON.stringify, since sorting keys cost several times the hash itself.
 */
async function chunkContentHash(message: IngestMessage): Promise<string> {
  // A deferring chunk differs from the same rows sent without it; without it the text is as before.
  const deferring = "defer_new_ids" in message && message.defer_new_ids;
  return sha256Hex(
    JSON.stringify({
      kind: message.kind,
      ...(deferring ? { defer_new_ids: true } : {}),
      rows: message.rows,
    }),
  );
}

/**
 * The indexes of the messages whose (job_id, seq) is registered with other content: what a 409
 * names. One read, of these chunks only (by the table's primary key).
 */
export async function conflictingMessages(
  db: Database,
  messages: readonly IngestMessage[],
): Promise<number[]> {
  const keys = messages.map((message) => [message.job_id, message.seq]);
  const registered = await db
    .select({ jobId: ingestChunks.jobId, seq: ingestChunks.seq, hash: ingestChunks.contentHash })
    .from(ingestChunks)
    .where(
      sql`(${ingestChunks.jobId}, ${ingestChunks.seq}) IN (SELECT value ->> 0, value ->> 1 FROM json_each(${JSON.stringify(keys)}))`,
    );
  const hashOf = new Map(
    registered.map((chunk) => [`${chunk.jobId}\u0000${chunk.seq}`, chunk.hash]),
  );
  const hashes = await Promise.all(messages.map(chunkContentHash));
  return messages.flatMap((message, index) => {
    const stored = hashOf.get(`${message.job_id}\u0000${message.seq}`);
    return stored != null && stored !== hashes[index] ? [index] : [];
  });
}

/**
 * Which of these jobs are past `cutoffIso` (src/db/ingest-retention.ts: every chunk's activity
 * before it) but not yet deleted: their report answers 404 while their chunks still hold their seqs.
 */
export async function jobsPastRetention(
  db: Database,
  jobIds: readonly string[],
  cutoffIso: string,
): Promise<Set<string>> {
  const latest = await db
    .select({ jobId: ingestChunks.jobId, updatedAt: sql<string>`max(${ingestChunks.updatedAt})` })
    .from(ingestChunks)
    .where(
      sql`${ingestChunks.jobId} IN (SELECT value FROM json_each(${JSON.stringify([...new Set(jobIds)])}))`,
    )
    .groupBy(ingestChunks.jobId);
  return new Set(
    latest.filter((job) => jobPastRetention([job.updatedAt], cutoffIso)).map((job) => job.jobId),
  );
}

/** A chunk's identity and size, as its bookkeeping row records them. */
function chunkIdentity(chunk: IngestMessage) {
  return { jobId: chunk.job_id, seq: chunk.seq, kind: chunk.kind, rows: chunk.rows.length };
}

/**
 * How many rejections, and how many remapped loans, a job report lists at most (the first, in
 * its order); the totals count them all. Unbounded, a job of a million rejected rows read every
 * one on each of the script's polls, and past some 250,000 passed D1's 50 MB result limit.
 */
export const REPORT_LISTS_AT_MOST = 10_000;

/**
 * A job's bookkeeping for its report. Its deferred loans are listed from the first row after
 * `deferredAfter` (0: from the first): a client pages past rows it has sent again whose chunk
 * died, which stay pending and could fill the whole list.
 */
export async function loadJobReport(db: Database, jobId: string, deferredAfter = 0) {
  // A deferred row is pending until a loan with its natural key is stored (its resend landed).
  const pending = and(
    eq(ingestDeferredLoans.jobId, jobId),
    notExists(
      db
        .select({ one: sql`1` })
        .from(loans)
        .where(
          and(
            eq(loans.sourceLoanId, ingestDeferredLoans.sourceLoanId),
            eq(loans.customerId, ingestDeferredLoans.customerId),
          ),
        ),
    ),
  );
  const [chunks, rejectedByKind, rejections, remapCount, remaps, deferredCount, deferred] =
    await db.batch([
      db.select().from(ingestChunks).where(eq(ingestChunks.jobId, jobId)).orderBy(ingestChunks.seq),
      db
        .select({ kind: ingestRejections.kind, n: sql<number>`count(*)` })
        .from(ingestRejections)
        .where(eq(ingestRejections.jobId, jobId))
        .groupBy(ingestRejections.kind),
      db
        .select()
        .from(ingestRejections)
        .where(eq(ingestRejections.jobId, jobId))
        .orderBy(ingestRejections.kind, ingestRejections.row, ingestRejections.seq)
        .limit(REPORT_LISTS_AT_MOST),
      db
        .select({ n: sql<number>`count(*)` })
        .from(ingestRemaps)
        .where(eq(ingestRemaps.jobId, jobId)),
      db
        .select()
        .from(ingestRemaps)
        .where(eq(ingestRemaps.jobId, jobId))
        .orderBy(ingestRemaps.row, ingestRemaps.seq)
        .limit(REPORT_LISTS_AT_MOST),
      db
        .select({
          n: sql<number>`count(*)`,
          after: sql<number>`coalesce(sum(${ingestDeferredLoans.row} > ${deferredAfter}), 0)`,
        })
        .from(ingestDeferredLoans)
        .where(pending),
      db
        .select({ seq: ingestDeferredLoans.seq, loan: ingestDeferredLoans.loan })
        .from(ingestDeferredLoans)
        .where(and(pending, gt(ingestDeferredLoans.row, deferredAfter)))
        .orderBy(ingestDeferredLoans.row, ingestDeferredLoans.seq)
        .limit(REPORT_LISTS_AT_MOST),
    ]);
  const rejected = { customers: 0, loans: 0 };
  for (const { kind, n } of rejectedByKind) rejected[kind] = n;
  return {
    chunks,
    rejections,
    remaps,
    rejected,
    remapped: remapCount[0]?.n ?? 0,
    deferred: deferred.map((d) => ({ seq: d.seq, loan: JSON.parse(d.loan) as LoanRow })),
    deferredPending: deferredCount[0]?.n ?? 0,
    /** The pending deferred rows after `deferredAfter`: those the list pages through. */
    deferredPendingAfter: deferredCount[0]?.after ?? 0,
  };
}

export async function countStoredRows(db: Database) {
  const [customerCount, loanCount] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(customers),
    db.select({ n: sql<number>`count(*)` }).from(loans),
  ]);
  return { customers: customerCount[0]?.n ?? 0, loans: loanCount[0]?.n ?? 0 };
}
