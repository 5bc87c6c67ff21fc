import type { AppConfig } from "../config";
import type { Database } from "../db/database";
import { classifyDatabaseError, databaseErrorKind } from "../db/error-kind";
import { type DatabaseDamage, whatDamageMeans } from "../db/errors";
import { log } from "../lib/log";
import { ingestEvent, noTelemetry, type Telemetry } from "../telemetry";
import { type ChunkState, upsertChunkState } from "./job-store";
import {
  type Delivery,
  deliveredChunk,
  isLastDelivery,
  landCustomers,
  landLoans,
} from "./land-chunk";
import { DEAD_LETTER_SUFFIX, QUEUE_SETTINGS, type QueueBatch, type QueueMessage } from "./queue";
import { identityOf, readChunk, type UnreadableMessage } from "./read-chunk";
import { landedChunkLookup, runAtomically } from "./store";

/*
 * The queue consumer. Each message is one chunk; it is read (one batch), planned (pure) and written
 * (one atomic batch, together with the chunk's new state and, on the Node server, the message's
 * removal from the queue: land-chunk.ts), then acked. Delivery is
 * at least once, and a chunk lands once: a redelivery of a landed chunk writes nothing (its read
 * says so, or, when two deliveries race, the database refuses the later landing: migrations/0007),
 * and the writes are upserts, so after a delivery that failed midway the rows land once. A chunk
 * that cannot land yet (its customers are missing, or the database failed) is retried with backoff;
 * after max_retries the queue moves it to the dead-letter queue, whose consumer marks it dead.
 * Missing customers are the exception: on a loan chunk's last delivery its other rows land and each
 * row whose customer is still unknown is rejected alone (UNKNOWN_CUSTOMER), so one bad row never
 * costs the chunk. A row that fails its schema is rejected alone too (read-chunk.ts); a message
 * that is no chunk at all is marked dead at once, since no retry could make it land, and so is a
 * chunk that meets a damaged database.
 */

/** Acked once landed or given up for good; otherwise retried with backoff. */
type Outcome = "ack" | "retry";

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
  const delivery = { ...read, attempts: message.attempts, removal: message.removal };
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
