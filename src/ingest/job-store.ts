import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/database";
import {
  customers,
  ingestChunks,
  ingestRejections,
  ingestRemaps,
  loans,
  NOW_ISO,
} from "../db/schema";
import type { IngestMessage } from "./messages";
import type { Rejection } from "./plan-customers";
import type { LoanRow } from "./rows";
import { type ChunkKind, MAX_PARAMS, type Statement, slices } from "./store";

/*
 * An ingest job's bookkeeping: its chunks' states, the rows it rejected and the loan ids it
 * remapped, written in each chunk's own batch, and the report and totals read back from them.
 */

/**
 * Registered chunks carry 7 (job, seq, kind, rows, status, and the two zero counters drizzle
 * binds for their defaults): 14 per statement, so a full send of 100 chunks is 8 statements.
 */
const CHUNKS_PER_STATEMENT = Math.floor(MAX_PARAMS / 7);
/** Rejections carry 6 bound values each (job, kind, row, column, reason, customer). */
const REJECTIONS_PER_STATEMENT = Math.floor(MAX_PARAMS / 6);
/** Remaps per statement: three parameters each, plus the job id. */
const REMAPS_PER_STATEMENT = Math.floor((MAX_PARAMS - 1) / 3);

/**
 * Records where remapped loans landed, reading the id the database gave each: one statement per
 * slice of rows (a list of (row, customer, loan id) joined to the loans on their natural key), so
 * a chunk of duplicates costs a few statements, not one per row.
 */
export function recordRemaps(db: Database, jobId: string, rows: readonly LoanRow[]): Statement[] {
  return slices(rows, REMAPS_PER_STATEMENT).map((slice) => {
    const remapped = sql.join(
      slice.map((row) => sql`(${row.row}, ${row.customer_id}, ${row.loan_id})`),
      sql`, `,
    );
    return db
      .insert(ingestRemaps)
      .select(
        sql`SELECT ${jobId}, r.column1, r.column2, r.column3, l.id FROM (VALUES ${remapped}) AS r JOIN ${loans} AS l ON l.source_loan_id = r.column3 AND l.customer_id = r.column2`,
      )
      .onConflictDoNothing();
  });
}

export function recordRejections(
  db: Database,
  jobId: string,
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

/** Creates or moves a chunk's state. A landed chunk never goes back to another state. */
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
        rowsLanded: sql`CASE WHEN ${ingestChunks.status} = 'landed' THEN ${ingestChunks.rowsLanded} ELSE excluded.rows_landed END`,
        attempts: sql`MAX(${ingestChunks.attempts}, excluded.attempts)`,
        lastError: sql`excluded.last_error`,
        updatedAt: NOW_ISO,
      },
      setWhere: sql`excluded.status <> 'queued'`,
    });
}

/** Registers the chunks these messages carry as queued; re-sending a chunk leaves its state alone. */
export function registerMessages(db: Database, messages: readonly IngestMessage[]): Statement[] {
  return slices(messages.map(chunkIdentity), CHUNKS_PER_STATEMENT).map((slice) =>
    db
      .insert(ingestChunks)
      .values(slice.map((chunk) => ({ ...chunk, status: "queued" as const })))
      .onConflictDoNothing(),
  );
}

/** A chunk's identity and size, as its bookkeeping row records them. */
export function chunkIdentity(chunk: IngestMessage) {
  return { jobId: chunk.job_id, seq: chunk.seq, kind: chunk.kind, rows: chunk.rows.length };
}

export async function loadJobReport(db: Database, jobId: string) {
  const [chunks, rejections, remaps] = await db.batch([
    db.select().from(ingestChunks).where(eq(ingestChunks.jobId, jobId)).orderBy(ingestChunks.seq),
    db
      .select()
      .from(ingestRejections)
      .where(eq(ingestRejections.jobId, jobId))
      .orderBy(ingestRejections.kind, ingestRejections.row),
    db.select().from(ingestRemaps).where(eq(ingestRemaps.jobId, jobId)).orderBy(ingestRemaps.row),
  ]);
  return { chunks, rejections, remaps };
}

export async function countStoredRows(db: Database) {
  const [customerCount, loanCount] = await db.batch([
    db.select({ n: sql<number>`count(*)` }).from(customers),
    db.select({ n: sql<number>`count(*)` }).from(loans),
  ]);
  return { customers: customerCount[0]?.n ?? 0, loans: loanCount[0]?.n ?? 0 };
}
