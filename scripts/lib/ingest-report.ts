import { constants } from "node:fs";
import { access, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { JobReport } from "../../src/ingest/job-report";
import type { CustomerRow, IngestKind, LoanRow } from "../../src/ingest/rows";
import { monotonicNow } from "../../src/lib/monotonic-clock";
import { type ChunkRows, rangesText } from "./chunk-rows";
import type { DeadRows } from "./dead-rows";
import type { RemappedLoan } from "./duplicate-loan-ids";
import type { Progress } from "./ingest-progress";
import type { WorkbookRows } from "./read-workbook";
import type { RowRejection, SheetNotRead } from "./rows-left-out";

/*
 * The JSON report of one `npm run ingest` run (`--report`): what was read, sent, landed, rejected
 * and remapped, file by file, built from the server's job report and the script's own counts.
 */

export interface IngestReport {
  job_id: string;
  url: string;
  started_at: string;
  duration_ms: number;
  customers: FileSummary;
  loans: FileSummary;
  rejected_rows: {
    file: string;
    row: number;
    /**
     * The column as the file's header row names it, for the script's rejections and the
     * server's alike (the server's name when the file has no such header).
     */
    column: string | null;
    /**
     * The server's name for the column (`loan_amount`, or null), on every row the server
     * rejected and only on those. Reports from before it was added give that name in `column`.
     */
    server_column?: string | null;
    reason: string;
    /** Present when the reason is about the row's customer (UNKNOWN_CUSTOMER). */
    customer_id?: number;
  }[];
  remapped_loans: {
    row: number;
    customer_id: number;
    source_loan_id: number;
    loan_id: number | null;
    /**
     * The earlier row that kept this Loan ID; null when no row of the file has it but a stored
     * loan of another customer does (the server gave the row a new id: docs/ingestion.md#loan-ids).
     */
    first_row: number | null;
  }[];
  dead_chunks: DeadChunk[];
  /**
   * How many of the server's rejections and remapped loans its report left out (it lists only
   * the first of each): they are counted in `rejected`, not listed. Absent when none were.
   */
  server_not_listed?: { rejections: number; remapped_loans: number };
  /**
   * The report whose dead chunks' rows this run sent again (`--resend-dead`); absent for a run
   * that sent every row. Rejected and remapped rows are then those of the rows sent again.
   */
  resent_dead_of?: string;
  /**
   * True when every row read landed (with `--resend-dead`, every row to send again): nothing
   * rejected, nothing dead.
   */
  complete: boolean;
  /** Why the run stopped before the end; absent when it ran to the end. */
  error?: string;
}

/**
 * A chunk the server gave up on, as its report gives it, with the workbook and the worksheet rows
 * it carried (docs/ingestion.md#a-dead-chunks-rows): loans are regrouped by customer before they
 * are chunked, so a chunk is no block of the file. `file_rows` is ascending inclusive ranges,
 * "12-40, 77, 90-91". Both are absent for a chunk this run did not send (it cannot be, but a
 * report from before they were added has neither).
 */
type DeadChunk = JobReport["dead_chunks"][number] & { file?: string; file_rows?: string };

interface FileSummary {
  file: string;
  rows_read: number;
  rejected: number;
  sent: number;
  landed: number;
  dead: number;
  /** With `--resend-dead`: how many of the rows read the earlier report's dead chunks carried. */
  to_send_again?: number;
  /**
   * The SHA-256 of the workbook's bytes (hex), of the very bytes its rows were read from, as they
   * were read: `--resend-dead` sends this report's dead rows only from a file with the same.
   * Absent when the run stopped before the workbook was read to its end, and from a report
   * before 2026-12-06.
   */
  sha256?: string;
  /** Worksheets after the first that hold this file's columns and rows: not ingested. */
  sheets_not_read?: SheetNotRead[];
}

/** Refused, naming the report: a folder as the report, or a report in a folder that is missing. */
export class ReportFileError extends Error {
  override name = "ReportFileError";
}

export async function assertReportWritable(file: string | null): Promise<void> {
  if (file === null) return;
  const refuse = (why: string) =>
    new ReportFileError(`cannot write the report ${file}: ${why} (--report)`);
  const stats = await stat(file).catch(() => null);
  if (stats?.isDirectory()) throw refuse("it is a folder; name a file in it");
  const target = stats ? file : dirname(file);
  try {
    await access(target, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(
      code === "ENOENT" || code === "ENOTDIR"
        ? `the folder ${target} does not exist`
        : `${target} is not writable (${code ?? String(error)})`,
    );
  }
}

export async function writeReport(file: string | null, report: IngestReport): Promise<void> {
  if (file) await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}

export interface ReportInputs {
  jobId: string;
  url: string;
  /**
   * When the run began: `started` by the system clock (the report's `started_at`), `startedTick`
   * by the monotonic one (its `duration_ms`, which a clock set meanwhile would skew).
   */
  started: number;
  startedTick: number;
  customers: WorkbookRows<CustomerRow>;
  loans: WorkbookRows<LoanRow>;
  rejected: RowRejection[];
  remapped: readonly RemappedLoan[];
  job: JobReport;
  progress: Progress;
  chunkRows: ChunkRows;
  /** With `--resend-dead`: the rows sent again, and how many of them the script rejected. */
  resend: { dead: DeadRows; rejected: Record<IngestKind, number> } | undefined;
}

export function buildReport({
  jobId,
  url,
  started,
  startedTick,
  customers,
  loans,
  rejected,
  remapped,
  job,
  progress,
  chunkRows,
  resend,
}: ReportInputs): IngestReport {
  const consumerRejections = job.rejections.map((r) => {
    const rows = r.kind === "customers" ? customers : loans;
    return {
      file: rows.file,
      row: r.row,
      // The operator fixes the workbook by its headers: the server's `loan_amount` is the
      // file's "Loan Amount" (or however it spells it); the server's name stays beside it.
      column: r.column === null ? null : (rows.headerOf(r.column) ?? r.column),
      server_column: r.column,
      reason: r.reason,
      ...(r.customer_id === undefined ? {} : { customer_id: r.customer_id }),
    };
  });
  const summary = (
    rows: WorkbookRows<CustomerRow> | WorkbookRows<LoanRow>,
    kind: IngestKind,
  ): FileSummary => ({
    file: rows.file,
    rows_read: rows.rowsRead,
    rejected: (resend ? resend.rejected[kind] : rows.rejectedCount) + job[kind].rejected,
    sent: progress.sentRows[kind],
    landed: job[kind].landed,
    dead: job[kind].dead,
    ...(resend ? { to_send_again: resend.dead[kind].size } : {}),
    ...(rows.sha256 === undefined ? {} : { sha256: rows.sha256 }),
    ...(rows.sheetsNotRead.length > 0 ? { sheets_not_read: [...rows.sheetsNotRead] } : {}),
  });
  const report: Omit<IngestReport, "complete"> = {
    job_id: jobId,
    url,
    started_at: new Date(started).toISOString(),
    duration_ms: monotonicNow() - startedTick,
    customers: summary(customers, "customers"),
    loans: summary(loans, "loans"),
    rejected_rows: [
      ...rejected.map(({ file, row, column, reason }) => ({ file, row, column, reason })),
      ...consumerRejections,
    ],
    remapped_loans: remappedLoans(
      resend ? remapped.filter((loan) => resend.dead.loans.has(loan.row)) : remapped,
      job,
    ),
    dead_chunks: job.dead_chunks.map((chunk) => {
      const ranges = chunkRows.ranges(chunk.seq);
      if (!ranges) return chunk;
      const file = (chunk.kind === "customers" ? customers : loans).file;
      return { ...chunk, file, file_rows: rangesText(ranges) };
    }),
    ...(job.rejections_not_listed || job.remapped_loans_not_listed
      ? {
          server_not_listed: {
            rejections: job.rejections_not_listed ?? 0,
            remapped_loans: job.remapped_loans_not_listed ?? 0,
          },
        }
      : {}),
  };
  const complete = [report.customers, report.loans].every(
    (s) => s.rejected === 0 && s.dead === 0 && s.landed === (s.to_send_again ?? s.rows_read),
  );
  return { ...report, ...(resend ? { resent_dead_of: resend.dead.report } : {}), complete };
}

/**
 * The later duplicates the script marked, with the id each landed under, and the rows the server
 * gave a new id by itself because a stored loan of another customer holds their Loan ID: both
 * land under an id that is not their Loan ID, in row order. The second used to be left out, the
 * run saying "every row landed" with nothing listed. A row of the second kind that the server
 * deferred and that has not landed (the run stopped, its chunk died) is listed with `loan_id` null.
 */
function remappedLoans(
  remapped: readonly RemappedLoan[],
  job: JobReport,
): IngestReport["remapped_loans"] {
  const landedIds = new Map(job.remapped_loans.map((r) => [r.row, r.loan_id]));
  const marked = new Set(remapped.map((r) => r.row));
  return [
    ...remapped.map((r) => ({ ...r, loan_id: landedIds.get(r.row) ?? null })),
    ...job.remapped_loans
      .filter((r) => !marked.has(r.row))
      .map(({ row, customer_id, source_loan_id, loan_id }) => ({
        row,
        customer_id,
        source_loan_id,
        loan_id,
        first_row: null,
      })),
    ...(job.deferred_loans ?? [])
      .filter(({ loan }) => !marked.has(loan.row) && !landedIds.has(loan.row))
      .map(({ loan }) => ({
        row: loan.row,
        customer_id: loan.customer_id,
        source_loan_id: loan.loan_id,
        loan_id: null,
        first_row: null,
      })),
  ].sort((a, b) => a.row - b.row);
}

export function emptyJob(jobId: string): JobReport {
  const none = { chunks: 0, received: 0, landed: 0, rejected: 0, queued: 0, retrying: 0, dead: 0 };
  return {
    job_id: jobId,
    done: true,
    customers: none,
    loans: none,
    rejections: [],
    remapped_loans: [],
    dead_chunks: [],
  };
}
