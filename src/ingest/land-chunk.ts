import type { Database } from "../db/database";
import { idRangeExhaustedTable } from "../db/errors";
import { log } from "../lib/log";
import {
  dropRejectedDeferrals,
  recordDeferrals,
  recordRejections,
  recordRemaps,
  upsertChunkState,
} from "./job-store";
import { upsertLoans } from "./loan-upsert";
import type { CustomerChunk, IngestMessage, LoanChunk } from "./messages";
import { planCustomers, type Rejection } from "./plan-customers";
import { planLoans } from "./plan-loans";
import { QUEUE_SETTINGS } from "./queue";
import type { ReadChunk } from "./read-chunk";
import type { LoanRow } from "./rows";
import {
  readCustomersForChunk,
  readLoansForChunk,
  runAtomically,
  type Statement,
  upsertCustomers,
} from "./store";
import { isChunkLandedBefore, isLoanBoundReached, isLoanPaidMeanwhile } from "./trigger-refusals";

/*
 * One delivery of a chunk landing: read what is stored (one batch), plan (pure), and write the
 * rows together with the chunk's new state (one atomic batch). What happens when it cannot land
 * (a retry, a dead chunk) is the consumer's (consumer.ts).
 */

/** What a chunk that landed did with its rows (for the metrics). */
type LandedRows = { landed: number; rejected?: number };

/**
 * What one delivery did: landed the chunk's rows; found the chunk landed by an earlier delivery
 * (nothing written: the report already tells what became of each row); or must wait for the
 * loans' customers.
 */
export type Landing = LandedRows | "landed before" | "waiting for customers";

/**
 * A chunk as delivered: its valid rows, its invalid ones, the delivery's number, and what takes
 * its message out of the queue (the Node server's; committed with the landing, see queue.ts).
 */
export type Delivery<TChunk extends IngestMessage = IngestMessage> = ReadChunk & {
  chunk: TChunk;
  attempts: number;
  removal?: (() => Statement[]) | undefined;
};

export async function landCustomers(
  db: Database,
  delivery: Delivery<CustomerChunk>,
): Promise<Landing> {
  const { chunk } = delivery;
  const stored = await readCustomersForChunk(db, chunk);
  if (stored.landedBefore) return "landed before";
  const plan = planCustomers(chunk.rows, stored.customers);
  const rejections = [...delivery.invalid, ...plan.rejections];
  const wrote = await writeLanding(db, [
    ...upsertCustomers(db, plan.write),
    ...recordRejections(db, chunk.job_id, chunk.seq, "customers", rejections),
    landedState(db, delivery, plan.write.length),
    ...(delivery.removal?.() ?? []),
  ]);
  return wrote ? { landed: plan.write.length, rejected: rejections.length } : "landed before";
}

/**
 * A loan chunk lands as planned from its read, which leaves the bound on a customer's loans to the
 * database (migrations/0011): a write that would take a customer past it is refused whole. Only
 * then is the chunk read again, with each customer's loans counted, and planned again, rejecting
 * by name each new loan past the bound. That is also what happens when another chunk of the same
 * customer landed between this one's read and its write. Refused a second time (one more such
 * chunk in between), the delivery fails like any write, and the queue retries it with backoff.
 * A write refused because no loan id is left (the largest is 2^53 - 1: an ingested Loan ID at the
 * top, migrations/0008) is read and planned again once too, with each row that needs an id from
 * the database rejected alone and not counted under its customer's bound, and the others land.
 * No retry could give those rows an id: that refusal used to fail the chunk on every delivery,
 * until it died with all its rows. A write refused because a loan the read found without API
 * payments took one meanwhile (migrations/0013) is read and planned again once as well: the row
 * is then kept, or refused for changing a paid loan's terms, where the upsert used to skip the
 * loan and count the row landed. Each refusal is answered once, in any order, so a delivery
 * writes at most four times.
 */
export async function landLoans(db: Database, delivery: Delivery<LoanChunk>): Promise<Landing> {
  const how = { countLoans: false, noIdLeft: false, paidMeanwhile: false };
  for (;;) {
    try {
      return await planAndLandLoans(db, delivery, how);
    } catch (error) {
      if (!how.countLoans && isLoanBoundReached(error)) {
        how.countLoans = true;
        log("info", "loan bound reached: chunk planned again with its customers' loans counted", {
          job_id: delivery.chunk.job_id,
          seq: delivery.chunk.seq,
          attempts: delivery.attempts,
        });
      } else if (!how.noIdLeft && idRangeExhaustedTable(error) === "loans") {
        how.noIdLeft = true;
      } else if (!how.paidMeanwhile && isLoanPaidMeanwhile(error)) {
        // Read again, the paid loan's row is kept or refused by name, as any paid loan's.
        how.paidMeanwhile = true;
        log("info", "a loan was paid since the chunk's read: chunk planned again", {
          job_id: delivery.chunk.job_id,
          seq: delivery.chunk.seq,
          attempts: delivery.attempts,
        });
      } else {
        throw error;
      }
    }
  }
}

async function planAndLandLoans(
  db: Database,
  delivery: Delivery<LoanChunk>,
  { countLoans, noIdLeft }: { countLoans: boolean; noIdLeft: boolean },
): Promise<Landing> {
  const { chunk } = delivery;
  const stored = await readLoansForChunk(db, chunk, countLoans);
  if (stored.landedBefore) return "landed before";
  const deferNewIds = chunk.defer_new_ids === true;
  const plan = planLoans(chunk.rows, stored.loans, stored.customerLoans, {
    deferNewIds,
    noIdLeft,
  });
  // Their customers may still be on the way (a customer chunk being retried): wait while the
  // queue would still redeliver this chunk.
  if (
    plan.unknownCustomer.length > 0 &&
    !isLastDelivery(delivery.attempts, QUEUE_SETTINGS.ingest)
  ) {
    return "waiting for customers";
  }
  const rejections = [
    ...delivery.invalid,
    ...plan.repeated,
    ...plan.paidLoanChanged,
    ...plan.pastBound,
    ...plan.withoutId.map(noIdLeftFor),
    ...plan.unknownCustomer.map(unknownCustomer),
  ];
  // A row an earlier chunk deferred, sent again here, meets the bound or finds no id left: then
  // it is rejected, and no longer waiting (the other rejections cannot meet a row sent again).
  const newLoansRefused = new Set([
    ...plan.pastBound.map(({ row }) => row),
    ...plan.withoutId.map(({ row }) => row),
  ]);
  const sentAgainAndRejected = deferNewIds
    ? []
    : chunk.rows.filter((row) => newLoansRefused.has(row.row));
  const landed = plan.write.length + plan.kept.length;
  const wrote = await writeLanding(db, [
    ...upsertLoans(db, plan.write),
    ...recordRemaps(db, chunk.job_id, chunk.seq, plan.remapped),
    ...recordDeferrals(db, chunk.job_id, chunk.seq, plan.deferred),
    ...dropRejectedDeferrals(db, chunk.job_id, chunk.seq, sentAgainAndRejected),
    ...recordRejections(db, chunk.job_id, chunk.seq, "loans", rejections),
    landedState(db, delivery, landed),
    ...(delivery.removal?.() ?? []),
  ]);
  return wrote ? { landed, rejected: rejections.length } : "landed before";
}

/** The rejection of a loan row the database could give no id. */
function noIdLeftFor(row: LoanRow): Rejection {
  return {
    row: row.row,
    column: "loan_id",
    reason: `needs a new loan id, and none is left: the loans table's largest id is ${Number.MAX_SAFE_INTEGER}, the API's largest (renumber the ingested Loan IDs)`,
  };
}

/**
 * Writes a chunk's rows and its landed state in one batch. False when another delivery of the
 * chunk landed it since this one's read: the database refused the batch whole (migrations/0007).
 */
async function writeLanding(db: Database, statements: Statement[]): Promise<boolean> {
  try {
    await runAtomically(db, statements);
    return true;
  } catch (error) {
    if (isChunkLandedBefore(error)) return false;
    throw error;
  }
}

/** The rejection reason of a loan row whose customer never landed. */
const UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER";

function unknownCustomer(row: LoanRow): Rejection {
  return {
    row: row.row,
    column: "customer_id",
    reason: UNKNOWN_CUSTOMER,
    customerId: row.customer_id,
  };
}

/** After this delivery the queue gives the message up (max_retries + 1 deliveries in all). */
export function isLastDelivery(attempts: number, queue: { maxRetries: number }): boolean {
  return attempts >= queue.maxRetries + 1;
}

/** The identity of a delivered chunk as its bookkeeping row records it: every row it carried. */
export function deliveredChunk({ chunk, received }: Delivery) {
  return { jobId: chunk.job_id, seq: chunk.seq, kind: chunk.kind, rows: received };
}

/** The chunk's bookkeeping row, written in the same batch as its rows. */
function landedState(db: Database, delivery: Delivery, rowsLanded: number) {
  const { attempts } = delivery;
  return upsertChunkState(db, {
    ...deliveredChunk(delivery),
    status: "landed",
    rowsLanded,
    attempts,
  });
}
