import { constants } from "node:fs";
import { access, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { JobReport } from "../../src/ingest/job-report";
import type { IngestMessage } from "../../src/ingest/messages";
import type { CustomerRow, IngestKind, LoanRow } from "../../src/ingest/rows";
import { ChunkRows, rangesText } from "./chunk-rows";
import { Chunker } from "./chunker";
import { CustomerBuckets } from "./customer-buckets";
import type { DeadRows } from "./dead-rows";
import type { RemappedLoan } from "./duplicate-loan-ids";
import { IngestClient, shownUrl, sleep } from "./ingest-client";
import { Progress } from "./ingest-progress";
import { type RowRejection, readRows, type SheetNotRead, type WorkbookRows } from "./read-workbook";
import { SendWindow } from "./send-window";
import type { WorkbookFile } from "./workbook-digest";

/*
 * One run of `npm run ingest`: both workbooks are checked before anything is sent; customers are
 * streamed, chunked and sent, and must land before loans are sent; loans are regrouped by customer
 * before chunking (customer-buckets.ts), except those whose Loan ID repeats an earlier row's: they
 * are held back and sent last, once every other loan has landed, so that the new ids the database
 * gives them can never take an id a later row of the file brings. The other loans go with
 * `defer_new_ids`: a row whose Loan ID a stored loan of another customer holds is handed back by
 * the server (the job report's `deferred_loans`) and sent again with the held-back rows, for the
 * same reason (docs/ingestion.md#loan-ids).
 * The report is written however the run ends: when it fails, with the error and what had
 * landed by then, so the operator sees how far it got.
 */

/**
 * Sends in flight at once: two lets the script read the next rows while the server stores the
 * last ones (docs/performance.md#ingest-at-scale).
 */
const SENDS_IN_FLIGHT = 2;

export interface IngestOptions {
  url: string;
  token: string;
  customersFile: string;
  loansFile: string;
  /** Where to write the JSON report, whether the run succeeds or fails; null for none. */
  reportFile: string | null;
  /** The job's id; a new one (`newJobId()`) when absent. */
  jobId?: string;
  /** Attempts per request before the run fails (network errors, 429, 5xx). */
  maxAttempts?: number;
  /** Give up when nothing lands for this long. */
  stallTimeoutMs?: number;
  /** Stops the run (Ctrl-C): it fails with the signal's reason, and the report is still written. */
  signal?: AbortSignal;
  /**
   * Sends only these rows of the workbooks, an earlier run's dead chunks' (`--resend-dead`): the
   * workbooks are still read whole, so a repeated Loan ID is decided as in that run.
   */
  resendDead?: DeadRows;
  log?: (line: string) => void;
}

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

/** A job id that sorts by start time: `ingest-<UTC timestamp>-<random>`. */
export function newJobId(started = Date.now()): string {
  return `ingest-${new Date(started).toISOString().replace(/[-:.TZ]/g, "")}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function runIngest(options: IngestOptions): Promise<IngestReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const jobId = options.jobId ?? newJobId(started);
  const progress = new Progress(log);
  const onRetry = (what: string, attempt: number, error: string) =>
    progress.note(`retrying ${what} (attempt ${attempt}): ${error}`);
  const client = new IngestClient(options.url, options.token, onRetry, options.maxAttempts);
  const rejected: RowRejection[] = [];
  const resend = options.resendDead;
  // Sending only an earlier run's dead rows, the file's other rows' rejections are not this run's.
  const rejectedAgain = { customers: 0, loans: 0 };
  const onRejectionOf = (kind: IngestKind) => (rejection: RowRejection) => {
    if (resend && !resend[kind].has(rejection.row)) return;
    rejectedAgain[kind] += 1;
    rejected.push(rejection);
  };
  // A resend reads the workbooks through the handles it hashed them through (dead-rows.ts), and
  // their bytes must still have the digests it found the report's.
  const customers = readRows(options.customersFile, "customers", {
    onRejection: onRejectionOf("customers"),
    file: resend?.files?.customers,
    sha256: resend?.digests?.customers,
  });
  const loans = readRows(options.loansFile, "loans", {
    onRejection: onRejectionOf("loans"),
    file: resend?.files?.loans,
    sha256: resend?.digests?.loans,
  });
  const url = shownUrl(options.url);
  const chunkRows = new ChunkRows();
  const reportInputs = {
    jobId,
    url,
    started,
    customers,
    loans,
    rejected,
    progress,
    chunkRows,
    resend: resend ? { dead: resend, rejected: rejectedAgain } : undefined,
  };

  // The report is written however the run ends: a path it cannot be written to stops the run
  // before anything is sent (it used to fail once every row had landed, with no summary).
  await assertReportWritable(options.reportFile);
  let report: IngestReport;
  try {
    const job = await untilAborted(sendAndWait(options, client, reportInputs), options.signal);
    report = buildReport({ ...reportInputs, remapped: loans.remapped, job });
  } catch (error) {
    // Interrupted, the run's sends and reads go on behind (untilAborted): the progress ends here.
    progress.halt();
    // What had landed when it stopped: the last job report seen (the server may be gone).
    const job = progress.lastJob ?? emptyJob(jobId);
    const failed = buildReport({ ...reportInputs, remapped: loans.remapped, job });
    const message = error instanceof Error ? error.message : String(error);
    await writeReport(options.reportFile, { ...failed, complete: false, error: message });
    throw error;
  }
  await writeReport(options.reportFile, report);
  return report;
}

/**
 * Settles as `work` does, or fails with the signal's reason as soon as it is aborted: sends and
 * retries in flight are left behind (the process is about to exit), and what they land is upserted.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Refused, naming the report: a folder as the report, or a report in a folder that is missing. */
export class ReportFileError extends Error {
  override name = "ReportFileError";
}

async function assertReportWritable(file: string | null): Promise<void> {
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

async function writeReport(file: string | null, report: IngestReport): Promise<void> {
  if (file) await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
}

interface RunInputs {
  jobId: string;
  customers: WorkbookRows<CustomerRow>;
  loans: WorkbookRows<LoanRow>;
  progress: Progress;
  chunkRows: ChunkRows;
}

async function sendAndWait(
  options: IngestOptions,
  client: IngestClient,
  { jobId, customers, loans, progress, chunkRows }: RunInputs,
): Promise<JobReport> {
  // Nothing is sent unless both files open, have every column, and the Worker takes the token.
  // The digests are taken as the rows are read (WorkbookRows.sha256), not in a pass of their own.
  const files = options.resendDead?.files;
  await Promise.all([
    checkWorkbook(options.customersFile, "customers", files?.customers),
    checkWorkbook(options.loansFile, "loans", files?.loans),
  ]);
  await client.storedRows();

  const chunker = new Chunker(jobId, "customers", 0, undefined, chunkRows);
  const waitOptions = {
    client,
    jobId,
    progress,
    stallTimeoutMs: options.stallTimeoutMs ?? 120_000,
  };

  try {
    const customerIds = { lowest: Number.POSITIVE_INFINITY, highest: 0 };
    const resend = options.resendDead;
    await sendRows(customers, chunker, client, progress, {
      sendNow: (row) => {
        customerIds.lowest = Math.min(customerIds.lowest, row.customer_id);
        customerIds.highest = Math.max(customerIds.highest, row.customer_id);
        return !resend || resend.customers.has(row.row);
      },
    });
    const refused = refusedCustomers(await waitUntilLanded(waitOptions, "customers"), customers);

    // No new id is given while rows keeping their own Loan ID are still landing: the server
    // hands back each row that would take one (`deferred_loans`), to be sent with the held back.
    chunker.startKind("loans", { deferNewIds: true });
    const heldBack: LoanRow[] = [];
    await sendRows(loans, chunker, client, progress, {
      sendNow: (row) => {
        if (resend && !resend.loans.has(row.row)) return false;
        const refusal = refused.get(row.customer_id);
        if (refusal !== undefined) {
          loans.rejectRow(row.row, "customer_id", refusal);
          return false;
        }
        if (!(row as LoanRow).remap) return true;
        heldBack.push(row as LoanRow);
        return false;
      },
      buckets: new CustomerBuckets(customerIds),
    });
    let job = await waitUntilLanded(waitOptions, "loans");
    chunker.startKind("loans");
    const sentAgain = new Set<number>();
    let round = [...heldBack, ...deferredRows(job, sentAgain, progress)];
    while (round.length > 0) {
      // In file order: every row of this phase takes a new id, given in the order they land.
      round.sort((a, b) => a.row - b.row);
      await sendRows(round, chunker, client, progress, { countAsRead: false });
      job = await waitUntilLanded(waitOptions, "loans");
      // The report lists the first 10,000 deferred rows still waiting: the next ones once those
      // have landed, or past them when they were sent again and their chunk died.
      round = job?.deferred_loans_not_listed
        ? await unsentDeferredRows(client, jobId, job, sentAgain, progress)
        : [];
    }
    // The final report, inside the abortable part too: it is retried for a minute when the
    // server has gone quiet, and Ctrl-C must still end the run with a report.
    return (await client.job(jobId)) ?? emptyJob(jobId);
  } finally {
    progress.stop();
  }
}

/**
 * The rows the server deferred and this run has not sent again yet, as the server gives them back
 * (none from a server that does not defer: it gave them new ids at once).
 */
function deferredRows(
  job: JobReport | null,
  sentAgain: Set<number>,
  progress: Progress,
): LoanRow[] {
  const rows = (job?.deferred_loans ?? [])
    .map((deferred) => deferred.loan)
    .filter((row) => !sentAgain.has(row.row));
  for (const row of rows) sentAgain.add(row.row);
  progress.deferred("loans", rows.length);
  return rows;
}

/**
 * The deferred rows not sent again yet, paging through the server's list (`deferred_after`): a
 * row sent again whose chunk died stays on it, and when the first 10,000 were such rows the run
 * stopped there, leaving every later deferred row unsent.
 */
async function unsentDeferredRows(
  client: IngestClient,
  jobId: string,
  job: JobReport,
  sentAgain: Set<number>,
  progress: Progress,
): Promise<LoanRow[]> {
  let page: JobReport | null = job;
  let after = 0;
  for (;;) {
    const rows = deferredRows(page, sentAgain, progress);
    const listed = page?.deferred_loans ?? [];
    const last = listed.at(-1)?.loan.row;
    // A server before deferred_after answers with its first page again: nothing further to read.
    if (
      rows.length > 0 ||
      !page?.deferred_loans_not_listed ||
      last === undefined ||
      last <= after
    ) {
      return rows;
    }
    after = last;
    page = await client.job(jobId, after);
  }
}

/**
 * The customers whose row the server refused as another person's, their Customer ID or phone
 * number stored for someone else (the job report gives those with `customer_id`), each with the
 * reason its loans are refused: sent, they would land on the stored customer with that id, or wait
 * a minute of retries to be rejected as UNKNOWN_CUSTOMER. When the server's report does not list
 * every customer rejection, which of them are such cannot be told, and no loan is sent.
 */
function refusedCustomers(
  job: JobReport | null,
  customers: WorkbookRows<CustomerRow>,
): Map<number, string> {
  const refused = new Map<number, string>();
  if (!job) return refused;
  if (job.rejections_not_listed) {
    throw new Error(
      `the server rejected ${job.customers.rejected} customer rows and its report lists only the first ${job.rejections.length}: loans whose customer row was refused as another person's cannot all be told apart, so no loans were sent; fix ${customers.file} (see the report) and run again`,
    );
  }
  for (const rejection of job.rejections) {
    if (rejection.kind !== "customers") continue;
    const id = rejection.customer_id ?? storedForAnotherPerson(rejection.reason);
    if (id === undefined) continue;
    refused.set(
      id,
      `customer ${id}'s row ${rejection.row} of ${customers.file} was rejected (${rejection.reason}), so its loans are not ingested either`,
    );
  }
  return refused;
}

/**
 * The Customer ID of a customer row a server of a release before 2026-12-05 refused as stored for
 * another person: its report gives that rejection no customer_id, only this reason, unchanged
 * since the first release. Without it, a Worker deployed one release behind the script had that
 * row's loans land on the stored customer. (Such a server's phone-number refusal names only the
 * other customer; its row's loans are rejected as UNKNOWN_CUSTOMER after their retries, as then.)
 */
function storedForAnotherPerson(reason: string): number | undefined {
  const match = /^customer (\d+) already exists with another phone number$/.exec(reason);
  return match ? Number(match[1]) : undefined;
}

/** Opens a workbook and reads its header (and first row), so a bad file fails before sending. */
async function checkWorkbook(path: string, kind: IngestKind, file?: WorkbookFile): Promise<void> {
  const iterator = readRows(path, kind, { file })[Symbol.asyncIterator]();
  try {
    await iterator.next();
  } finally {
    await iterator.return?.(undefined);
  }
}

async function sendRows(
  rows: AsyncIterable<CustomerRow | LoanRow> | Iterable<CustomerRow | LoanRow>,
  chunker: Chunker,
  client: IngestClient,
  progress: Progress,
  {
    sendNow = () => true,
    countAsRead = true,
    buckets,
  }: {
    /** False holds the row back (it is not sent by this call). */
    sendNow?: (row: CustomerRow | LoanRow) => boolean;
    countAsRead?: boolean;
    /** Regroups the rows by customer before chunking; without it, rows go in file order. */
    buckets?: CustomerBuckets<CustomerRow | LoanRow>;
  } = {},
): Promise<void> {
  const window = new SendWindow(SENDS_IN_FLIGHT);
  const send = (messages: IngestMessage[]) =>
    window.add(async () => {
      await client.sendMessages(messages);
      progress.sent(messages);
      // The consumer works while we send: show what has landed every few seconds.
      if (progress.landedIsStale()) {
        const job = await client.job(messages[0]?.job_id ?? "");
        if (job) progress.landed(job);
      }
    });
  const chunk = async (ordered: readonly (CustomerRow | LoanRow)[]) => {
    for (const row of ordered) {
      const ready = chunker.add(row);
      if (ready) await send(ready);
    }
  };
  try {
    for await (const row of rows) {
      if (countAsRead) progress.read(chunkerKind(row));
      if (!sendNow(row)) continue;
      const ready = buckets ? buckets.add(row) : [row];
      if (ready) await chunk(ready);
    }
    if (buckets) await chunk(buckets.flush());
    for (const ready of chunker.flush()) await send(ready);
    await window.drain();
  } catch (error) {
    // Nothing of this run may still be sending once it has failed.
    await window.settle();
    throw error;
  }
}

function chunkerKind(row: CustomerRow | LoanRow): IngestKind {
  return "loan_id" in row ? "loans" : "customers";
}

interface WaitOptions {
  client: IngestClient;
  jobId: string;
  progress: Progress;
  stallTimeoutMs: number;
}

/**
 * Polls the job until every chunk of `kind` has landed or died, and gives its report then (null
 * when nothing of the job was sent); fails if nothing moves.
 */
async function waitUntilLanded(
  { client, jobId, progress, stallTimeoutMs }: WaitOptions,
  kind: IngestKind,
): Promise<JobReport | null> {
  let lastMovement = Date.now();
  let lastSettled = -1;
  for (;;) {
    const job = await client.job(jobId);
    if (!job) return null; // nothing of this job was sent (an empty file)
    progress.landed(job);
    const totals = job[kind];
    if (totals.queued === 0 && totals.retrying === 0) return job;
    const settled = totals.landed + totals.dead;
    if (settled !== lastSettled) {
      lastSettled = settled;
      lastMovement = Date.now();
    } else if (Date.now() - lastMovement > stallTimeoutMs) {
      throw new Error(
        `no ${kind} landed for ${stallTimeoutMs / 1000} s (${totals.queued} rows queued, ${totals.retrying} retrying). Is the Worker's queue consumer running?`,
      );
    }
    await sleep(250);
  }
}

interface ReportInputs {
  jobId: string;
  url: string;
  started: number;
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

function buildReport({
  jobId,
  url,
  started,
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
    duration_ms: Date.now() - started,
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

function emptyJob(jobId: string): JobReport {
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
