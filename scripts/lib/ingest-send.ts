import type { JobReport } from "../../src/ingest/job-report";
import type { IngestMessage } from "../../src/ingest/messages";
import { QUEUE_SETTINGS } from "../../src/ingest/queue";
import type { CustomerRow, IngestKind, LoanRow } from "../../src/ingest/rows";
import { monotonicNow } from "../../src/lib/monotonic-clock";
import type { Chunker } from "./chunker";
import type { CustomerBuckets } from "./customer-buckets";
import { type IngestClient, sleep } from "./ingest-client";
import type { Progress } from "./ingest-progress";
import { readRows } from "./read-workbook";
import { SendWindow } from "./send-window";
import type { WorkbookFile } from "./workbook-digest";

/*
 * The steps of an ingest run (ingest-run.ts) that move rows: a workbook checked before anything is
 * sent, rows sent in chunks, and the wait until the server says they landed.
 */

/**
 * Sends in flight at once: two lets the script read the next rows while the server stores the
 * last ones (docs/performance.md#ingest-at-scale).
 */
const SENDS_IN_FLIGHT = 2;

/**
 * Checks both workbooks before anything is sent. Every unusable one is named, customers first:
 * an operator with both paths wrong learns it in one run, and the message does not depend on
 * which check happened to fail first.
 */
export async function checkWorkbooks(
  ...checks: [path: string, kind: IngestKind, file?: WorkbookFile][]
): Promise<void> {
  const outcomes = await Promise.allSettled(
    checks.map(([path, kind, file]) => checkWorkbook(path, kind, file)),
  );
  const failures = outcomes.flatMap((outcome) =>
    outcome.status === "rejected" ? [outcome.reason] : [],
  );
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const messages = failures.map((error) =>
      error instanceof Error ? error.message : String(error),
    );
    // A line each: a workbook's own message may hold "; " (the swapped-files hint does).
    throw new AggregateError(failures, messages.join("\n  "));
  }
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

export async function sendRows(
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

export interface WaitOptions {
  client: IngestClient;
  jobId: string;
  progress: Progress;
  stallTimeoutMs: number;
  /**
   * Added to `stallTimeoutMs` while a chunk is retrying: the consumer's longest delay between two
   * deliveries of a chunk (5 minutes, whatever INGEST_RETRY_DELAY_SECONDS is).
   */
  retryGapMs?: number;
}

const LONGEST_RETRY_DELAY_MS = QUEUE_SETTINGS.ingest.retryDelaySeconds.maxSeconds * 1000;

/**
 * Polls the job until every chunk of `kind` has landed or died, and gives its report then (null
 * when nothing of the job was sent); fails if nothing moves. A chunk the consumer delivers again
 * moves (its `attempts` rise): with INGEST_RETRY_DELAY_SECONDS at 5 a loan of an unknown customer
 * waits 155 s for its last delivery, and the run failed at 120 s asking whether the consumer ran.
 */
export async function waitUntilLanded(
  { client, jobId, progress, stallTimeoutMs, retryGapMs = LONGEST_RETRY_DELAY_MS }: WaitOptions,
  kind: IngestKind,
): Promise<JobReport | null> {
  let lastMovement = monotonicNow();
  let lastSeen = "";
  for (;;) {
    const job = await client.job(jobId);
    if (!job) return null; // nothing of this job was sent (an empty file)
    progress.landed(job);
    const totals = job[kind];
    if (totals.queued === 0 && totals.retrying === 0) return job;
    // An older server gives no attempts: its retrying chunks still get the longest retry delay.
    const seen = `${totals.landed + totals.dead}/${totals.attempts ?? 0}`;
    const allowedMs = stallTimeoutMs + (totals.retrying > 0 ? retryGapMs : 0);
    if (seen !== lastSeen) {
      lastSeen = seen;
      lastMovement = monotonicNow();
    } else if (monotonicNow() - lastMovement > allowedMs) {
      throw new Error(
        `no ${kind} landed for ${allowedMs / 1000} s (${totals.queued} rows queued, ${totals.retrying} retrying). Is the Worker's queue consumer running?`,
      );
    }
    await sleep(250);
  }
}
