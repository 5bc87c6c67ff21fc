import type { JobReport } from "../../src/ingest/job-report";
import type { CustomerRow, IngestKind, LoanRow } from "../../src/ingest/rows";
import { monotonicNow } from "../../src/lib/monotonic-clock";
import { ChunkRows } from "./chunk-rows";
import { Chunker } from "./chunker";
import { CustomerBuckets } from "./customer-buckets";
import type { DeadRows } from "./dead-rows";
import { IngestClient } from "./ingest-client";
import { Progress } from "./ingest-progress";
import {
  assertReportWritable,
  buildReport,
  emptyJob,
  type IngestReport,
  writeReport,
} from "./ingest-report";
import { checkWorkbooks, sendRows, waitUntilLanded } from "./ingest-send";
import { shownUrl } from "./ingest-url";
import { readRows, type WorkbookRows } from "./read-workbook";
import type { RowRejection } from "./rows-left-out";

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

export interface IngestOptions {
  url: string;
  token: string;
  customersFile: string;
  loansFile: string;
  /** Where to write the JSON report, whether the run succeeds or fails; null for none. */
  reportFile: string | null;
  /** The job's id; a new one (`newJobId()`) when absent. */
  jobId?: string;
  /** Attempts per request before the run fails (network errors, 408, 429, 5xx). */
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

/** A job id that sorts by start time: `ingest-<UTC timestamp>-<random>`. */
export function newJobId(started = Date.now()): string {
  return `ingest-${new Date(started).toISOString().replace(/[-:.TZ]/g, "")}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function runIngest(options: IngestOptions): Promise<IngestReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const startedTick = monotonicNow();
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
    startedTick,
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
  await checkWorkbooks(
    [options.customersFile, "customers", files?.customers],
    [options.loansFile, "loans", files?.loans],
  );
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
