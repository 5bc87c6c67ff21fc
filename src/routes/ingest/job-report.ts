import type { JobReport } from "../../ingest/job-report";
import type { loadJobReport } from "../../ingest/job-store";

type StoredJob = Awaited<ReturnType<typeof loadJobReport>>;

/**
 * Counts per kind and state, derived from the chunk rows (exact under redelivery). Typed by the
 * schema the ingest script checks the answer against.
 */
export function summariseJob(
  jobId: string,
  {
    chunks,
    rejections,
    remaps,
    rejected,
    remapped,
    deferred,
    deferredPending,
    deferredPendingAfter,
  }: StoredJob,
): JobReport {
  const totals = (kind: "customers" | "loans") => {
    const ofKind = chunks.filter((chunk) => chunk.kind === kind);
    const sum = (status: string, field: "rows" | "rowsLanded") =>
      ofKind
        .filter((chunk) => status === "*" || chunk.status === status)
        .reduce((total, chunk) => total + chunk[field], 0);
    return {
      chunks: ofKind.length,
      received: sum("*", "rows"),
      landed: sum("landed", "rowsLanded"),
      rejected: rejected[kind],
      queued: sum("queued", "rows"),
      retrying: sum("retrying", "rows"),
      dead: sum("dead", "rows"),
      deferred: kind === "loans" ? deferredPending : 0,
      attempts: ofKind.reduce((total, chunk) => total + chunk.attempts, 0),
    };
  };
  const pending = chunks.some((chunk) => chunk.status === "queued" || chunk.status === "retrying");
  return {
    job_id: jobId,
    done: !pending,
    customers: totals("customers"),
    loans: totals("loans"),
    rejections: rejections.map((r) => ({
      kind: r.kind,
      row: r.row,
      column: r.column,
      reason: r.reason,
      // Only where the reason is about the customer (UNKNOWN_CUSTOMER).
      ...(r.customerId === null ? {} : { customer_id: r.customerId }),
      ...chunkSeq(r.seq),
    })),
    remapped_loans: remaps.map((r) => ({
      row: r.row,
      customer_id: r.customerId,
      source_loan_id: r.sourceLoanId,
      loan_id: r.loanId,
      ...chunkSeq(r.seq),
    })),
    // Only when the lists were cut at REPORT_LISTS_AT_MOST: how many they leave out.
    ...notListed("rejections_not_listed", rejected.customers + rejected.loans - rejections.length),
    ...notListed("remapped_loans_not_listed", remapped - remaps.length),
    deferred_loans: deferred,
    // Counted from the page's start (`deferred_after`): the rows after the ones listed.
    ...notListed("deferred_loans_not_listed", deferredPendingAfter - deferred.length),
    dead_chunks: chunks
      .filter((chunk) => chunk.status === "dead")
      .map((chunk) => ({
        seq: chunk.seq,
        kind: chunk.kind,
        rows: chunk.rows,
        attempts: chunk.attempts,
        reason: chunk.lastError,
      })),
  };
}

function notListed<K extends string>(key: K, count: number): Partial<Record<K, number>> {
  return count > 0 ? ({ [key]: count } as Record<K, number>) : {};
}

/** A stored row's chunk: none for one recorded before the seq was kept (-1, migrations/0006). */
function chunkSeq(seq: number): { seq?: number } {
  return seq === UNKNOWN_SEQ ? {} : { seq };
}

const UNKNOWN_SEQ = -1;
