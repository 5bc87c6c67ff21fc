import type { AppConfig } from "../config";
import type { Database } from "../db/database";
import { classifyDatabaseError, databaseErrorKind } from "../db/error-kind";
import { type DatabaseDamage, idRangeExhaustedTable, whatDamageMeans } from "../db/errors";
import { log } from "../lib/log";
import { ingestEvent, noTelemetry, type Telemetry } from "../lib/telemetry";
import {
  type ChunkState,
  dropRejectedDeferrals,
  isChunkLandedBefore,
  isLoanBoundReached,
  recordDeferrals,
  recordRejections,
  recordRemaps,
  upsertChunkState,
} from "./job-store";
import { upsertLoans } from "./loan-upsert";
import type { CustomerChunk, IngestMessage, LoanChunk } from "./messages";
import { planCustomers, type Rejection } from "./plan-customers";
import { planLoans } from "./plan-loans";
import { DEAD_LETTER_SUFFIX, QUEUE_SETTINGS, type QueueBatch, type QueueMessage } from "./queue";
import { identityOf, type ReadChunk, readChunk, type UnreadableMessage } from "./read-chunk";
import type { LoanRow } from "./rows";
import {
  landedChunkLookup,
  readCustomersForChunk,
  readLoansForChunk,
  runAtomically,
  type Statement,
  upsertCustomers,
} from "./store";

/*
 * The queue consumer. Each message is one chunk; it is read (one batch), planned (pure) and
 * written (one atomic batch, together with the chunk's new state), then acked. Delivery is at
 * least once, and a chunk lands once: a redelivery of a landed chunk writes nothing (its read
 * says so, or, when two deliveries race, the database refuses the later landing:
 * migrations/0007), and the writes are upserts, so after a delivery that failed midway the rows
 * land once. A chunk that cannot land yet (its customers are missing, or the database failed) is
 * retried with backoff; after max_retries the queue moves it to the dead-letter queue, whose
 * consumer marks it dead. Missing customers are the exception: on a loan chunk's last delivery its
 * other rows land and each row whose customer is still unknown is rejected alone
 * (UNKNOWN_CUSTOMER), so one bad row never costs the chunk. A row that fails its schema is
 * rejected alone too (read-chunk.ts); a message that is no chunk at all is marked dead at once,
 * since no retry could make it land, and so is a chunk that meets a damaged database.
 */

/** What a chunk that landed did with its rows (for the metrics). */
type LandedRows = { landed: number; rejected?: number };

/**
 * What one delivery did: landed the chunk's rows; found the chunk landed by an earlier delivery
 * (nothing written: the report already tells what became of each row); or must wait for the
 * loans' customers.
 */
type Landing = LandedRows | "landed before" | "waiting for customers";

/** Acked once landed or given up for good; otherwise retried with backoff. */
type Outcome = "ack" | "retry";

/** A chunk as delivered: its valid rows, its invalid ones, and the delivery's number. */
type Delivery<TChunk extends IngestMessage = IngestMessage> = ReadChunk & {
  chunk: TChunk;
  attempts: number;
};

/** What the consumer reads of the app's config. */
export type ConsumerSettings = Pick<AppConfig, "ingestRetryDelaySeconds">;

export async function consumeIngestBatch(
  batch: QueueBatch,
  db: Database,
  settings: ConsumerSettings,
  telemetry: Telemetry = noTelemetry,
): Promise<void> {
  const deadLetters = batch.queue.endsWith(DEAD_LETTER_SUFFIX);
  for (const message of batch.messages) {
    if (deadLetters) {
      await settleDeadLetter(db, message, settings, telemetry);
      continue;
    }
    const outcome = await consumeMessage(db, message, telemetry);
    if (outcome === "ack") {
      message.ack();
    } else {
      message.retry({ delaySeconds: retryDelaySeconds(settings, message.attempts, CHUNK_DELAYS) });
    }
  }
}

/**
 * Records a dead letter's chunk dead, then acks it. While the database refuses that write the
 * message is retried alone (the rest of the batch is settled as usual), with a backoff up to 30
 * minutes, for the dead-letter queue's max_retries: about two days.
 */
async function settleDeadLetter(
  db: Database,
  message: QueueMessage,
  settings: ConsumerSettings,
  telemetry: Telemetry,
): Promise<void> {
  const identity = identityOf(message.body);
  // Its attempts are the ingest queue's deliveries, all spent: the dead-letter queue counts its own.
  const spent = { id: message.id, attempts: QUEUE_SETTINGS.ingest.maxRetries + 1 };
  try {
    await markDead(db, identity, spent, DEAD_LETTER, telemetry);
    message.ack();
  } catch (error) {
    const kind = databaseErrorKind(error);
    if (kind) telemetry.recordDatabaseError(kind);
    const lastDelivery = isLastDelivery(message.attempts, QUEUE_SETTINGS.deadLetters);
    // The last one is an error: the queue drops the message, and this is the last line naming it.
    log(lastDelivery ? "error" : "warn", "dead chunk not recorded", {
      job_id: identity?.job_id,
      seq: identity?.seq,
      kind: identity?.kind,
      rows: identity?.rows,
      attempts: message.attempts,
      error: (error as Error).name,
      ...(kind ? { database: kind } : {}),
      ...(lastDelivery ? { dropped: true } : {}),
    });
    message.retry({
      delaySeconds: retryDelaySeconds(settings, message.attempts, DEAD_LETTER_DELAYS),
    });
  }
}

async function consumeMessage(
  db: Database,
  message: QueueMessage,
  telemetry: Telemetry,
): Promise<Outcome> {
  const read = readChunk(message.body);
  if (!("chunk" in read)) return giveUp(db, message, read, telemetry);
  const { chunk } = read;
  const delivery = { ...read, attempts: message.attempts };
  telemetry.recordIngest(ingestEvent(chunk.kind, { read: read.received }));
  try {
    const landing =
      chunk.kind === "customers"
        ? await landCustomers(db, { ...delivery, chunk })
        : await landLoans(db, { ...delivery, chunk });
    if (landing === "waiting for customers") {
      await noteRetry(db, delivery, "customers of these loans have not landed yet");
      return "retry";
    }
    if (landing === "landed before") {
      log("info", "chunk landed before", {
        job_id: chunk.job_id,
        seq: chunk.seq,
        attempts: message.attempts,
      });
    } else {
      telemetry.recordIngest(ingestEvent(chunk.kind, landing));
    }
    return "ack";
  } catch (error) {
    const classified = classifyDatabaseError(error);
    if (classified) telemetry.recordDatabaseError(classified.kind);
    logIngest("chunk failed", {
      job_id: chunk.job_id,
      seq: chunk.seq,
      attempts: message.attempts,
      error: (error as Error).name,
      // "full" or "busy" tells the operator what to do; the message itself may hold row data.
      ...(classified ? { kind: classified.kind } : {}),
    });
    if (classified?.kind === "damaged") {
      return giveUpOnDamage(db, message, delivery, classified.damage, telemetry);
    }
    await noteRetry(db, delivery, "the database write failed").catch(() => undefined);
    return "retry";
  }
}

/**
 * Why a chunk that met a damaged database is dead (docs/ingestion.md), naming the code SQLite
 * reported: the reason said SQLITE_CORRUPT for a file whose header was overwritten too, which
 * sent the operator to look for a bad page where the whole file no longer reads as a database.
 */
function damagedReason(damage: DatabaseDamage): string {
  const what = `${whatDamageMeans(damage, "this chunk needs")} (${damage})`;
  return `the database is damaged: ${what}. Nothing of the chunk was written, and it is not retried: no retry helps until the database is restored from a backup (docs/operations.md, "A damaged database file"); send its rows again then`;
}

/**
 * A chunk whose read or write met a damaged page (SQLITE_CORRUPT, SQLITE_NOTADB): its batch
 * failed whole, and every delivery would meet the same page until an operator restores the file.
 * It was retried five times and then recorded dead as "gave up after repeated failures", which
 * named no cause. Now it is recorded dead at once, saying so; retried as before when even that
 * record cannot be written (the damage is in the job's own bookkeeping).
 */
async function giveUpOnDamage(
  db: Database,
  message: QueueMessage,
  delivery: Delivery,
  damage: DatabaseDamage,
  telemetry: Telemetry,
): Promise<Outcome> {
  try {
    await markDead(db, identityOf(message.body), message, damagedReason(damage), telemetry);
    return "ack";
  } catch {
    await noteRetry(db, delivery, "the database write failed").catch(() => undefined);
    return "retry";
  }
}

/**
 * A message that is no chunk (no kind, no rows, a row without its row number): no retry could
 * make it land, so it is recorded dead at once, naming the fields at fault (paths only: the
 * values are personal data). Retried only when that record cannot be written.
 */
async function giveUp(
  db: Database,
  message: QueueMessage,
  unreadable: UnreadableMessage,
  telemetry: Telemetry,
): Promise<Outcome> {
  logIngest("invalid message", { id: message.id, fields: unreadable.fields });
  const reason = `not a chunk the consumer can read (${unreadable.fields.join(", ")}): never retried`;
  try {
    await markDead(db, unreadable.identity, message, reason, telemetry);
    return "ack";
  } catch {
    return "retry";
  }
}

async function landCustomers(db: Database, delivery: Delivery<CustomerChunk>): Promise<Landing> {
  const { chunk } = delivery;
  const stored = await readCustomersForChunk(db, chunk);
  if (stored.landedBefore) return "landed before";
  const plan = planCustomers(chunk.rows, stored.customers);
  const rejections = [...delivery.invalid, ...plan.rejections];
  const wrote = await writeLanding(db, [
    ...upsertCustomers(db, plan.write),
    ...recordRejections(db, chunk.job_id, chunk.seq, "customers", rejections),
    landedState(db, delivery, plan.write.length),
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
 * until it died with all its rows. Each refusal is answered once, in either order, so a delivery
 * writes at most three times.
 */
async function landLoans(db: Database, delivery: Delivery<LoanChunk>): Promise<Landing> {
  const how = { countLoans: false, noIdLeft: false };
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
  const wrote = await writeLanding(db, [
    ...upsertLoans(db, plan.write),
    ...recordRemaps(db, chunk.job_id, chunk.seq, plan.remapped),
    ...recordDeferrals(db, chunk.job_id, chunk.seq, plan.deferred),
    ...dropRejectedDeferrals(db, chunk.job_id, chunk.seq, sentAgainAndRejected),
    ...recordRejections(db, chunk.job_id, chunk.seq, "loans", rejections),
    landedState(db, delivery, plan.write.length),
  ]);
  return wrote ? { landed: plan.write.length, rejected: rejections.length } : "landed before";
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
function isLastDelivery(attempts: number, queue: { maxRetries: number }): boolean {
  return attempts >= queue.maxRetries + 1;
}

/** The identity of a delivered chunk as its bookkeeping row records it: every row it carried. */
function deliveredChunk({ chunk, received }: Delivery) {
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

async function noteRetry(db: Database, delivery: Delivery, reason: string): Promise<void> {
  const state: ChunkState = {
    ...deliveredChunk(delivery),
    status: "retrying",
    attempts: delivery.attempts,
    lastError: reason,
  };
  await runAtomically(db, [upsertChunkState(db, state)]);
}

/** Why the dead-letter queue's chunks are dead. */
const DEAD_LETTER = "gave up after repeated failures";

/**
 * A chunk that will never land. Recorded so the job report and the script show it, unless it
 * landed after all (a delivery whose commit went through but whose answer was lost): a landed
 * chunk keeps its state, and its rows are not counted dead.
 */
async function markDead(
  db: Database,
  identity: UnreadableMessage["identity"],
  message: Pick<QueueMessage, "id" | "attempts">,
  reason: string,
  telemetry: Telemetry,
): Promise<void> {
  if (identity === null) {
    logIngest("dead message without a job", { id: message.id });
    return;
  }
  const { job_id: jobId, seq, kind, rows } = identity;
  const [landed] = (await runAtomically(db, [
    landedChunkLookup(db, identity),
    upsertChunkState(db, {
      jobId,
      seq,
      kind,
      rows,
      status: "dead",
      attempts: message.attempts,
      lastError: reason,
    }),
  ])) as [unknown[]];
  if (landed.length === 0) telemetry.recordIngest(ingestEvent(kind, { dead: rows }));
}

/** A chunk's retries: the operator's script is waiting, so at most 5 minutes apart. */
const CHUNK_DELAYS = QUEUE_SETTINGS.ingest.retryDelaySeconds;

/**
 * A dead letter's retries: its 100 span about two days at the default base (docs/ingestion.md),
 * and at least a second apart, so a base of 0 (tests, `npm start`) cannot spend them at once.
 */
const DEAD_LETTER_DELAYS = QUEUE_SETTINGS.deadLetters.retryDelaySeconds;

/**
 * Sends every message of a batch back for the longest backoff (30 minutes): when the Worker cannot
 * consume at all (its settings do not parse), the ingest queue's 5 retries then span 2.5 hours
 * and the dead-letter queue's 100 about two days, time for the settings to be fixed.
 */
export function deferBatch(batch: QueueBatch): void {
  for (const message of batch.messages) {
    message.retry({ delaySeconds: DEAD_LETTER_DELAYS.maxSeconds });
  }
}

/** Exponential backoff from INGEST_RETRY_DELAY_SECONDS (default 2 s), within the bounds. */
export function retryDelaySeconds(
  settings: ConsumerSettings,
  attempts: number,
  { minSeconds, maxSeconds }: { minSeconds: number; maxSeconds: number },
): number {
  const delay = Math.round(settings.ingestRetryDelaySeconds * 2 ** Math.max(0, attempts - 1));
  return Math.min(maxSeconds, Math.max(minSeconds, delay));
}

function logIngest(what: string, fields: Record<string, unknown>): void {
  log("warn", what, fields);
}
