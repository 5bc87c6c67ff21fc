import * as v from "valibot";
import type { AppConfig } from "../config";
import type { Database } from "../db/database";
import { databaseErrorKind } from "../db/error-kind";
import { log } from "../lib/log";
import { ingestEvent, noTelemetry, type Telemetry } from "../lib/telemetry";
import { chunkIdentity, recordRejections, recordRemaps, upsertChunkState } from "./job-store";
import { upsertLoans } from "./loan-upsert";
import {
  type CustomerChunk,
  type IngestMessage,
  IngestMessageSchema,
  type LoanChunk,
} from "./messages";
import { planCustomers, type Rejection } from "./plan-customers";
import { planLoans } from "./plan-loans";
import { QUEUE_SETTINGS, type QueueBatch, type QueueMessage } from "./queue";
import type { LoanRow } from "./rows";
import { readCustomersForChunk, readLoansForChunk, runAtomically, upsertCustomers } from "./store";

/*
 * The queue consumer. Each message is one chunk; it is read (one batch), planned (pure) and
 * written (one atomic batch, together with the chunk's new state), then acked. Delivery is at
 * least once: the writes are upserts, so a redelivered chunk changes nothing. A chunk that cannot
 * land yet (its customers are missing, or the database failed) is retried with backoff; after
 * max_retries the queue moves it to the dead-letter queue, whose consumer marks it dead. Missing
 * customers are the exception: on a loan chunk's last delivery its other rows land and each row
 * whose customer is still unknown is rejected alone (UNKNOWN_CUSTOMER), so one bad row never
 * costs the chunk.
 */

/** What a chunk that landed did with its rows (for the metrics). */
type LandedRows = { landed: number; rejected?: number };

type Outcome = { kind: "landed" } | { kind: "retry"; reason: string };

/** What the consumer reads of the app's config. */
export type ConsumerSettings = Pick<AppConfig, "ingestRetryDelaySeconds">;

export async function consumeIngestBatch(
  batch: QueueBatch,
  db: Database,
  settings: ConsumerSettings,
  telemetry: Telemetry = noTelemetry,
): Promise<void> {
  const deadLetters = batch.queue.endsWith("-dlq");
  for (const message of batch.messages) {
    if (deadLetters) {
      await markDead(db, message, telemetry);
      message.ack();
      continue;
    }
    const outcome = await consumeMessage(db, message, telemetry);
    if (outcome.kind === "landed") {
      message.ack();
    } else {
      message.retry({ delaySeconds: retryDelaySeconds(settings, message.attempts) });
    }
  }
}

async function consumeMessage(
  db: Database,
  message: QueueMessage,
  telemetry: Telemetry,
): Promise<Outcome> {
  const parsed = v.safeParse(IngestMessageSchema, message.body);
  if (!parsed.success) {
    // A poison message: it can never land. Retrying sends it to the dead-letter queue.
    // Field paths only: the values are personal data.
    const fields = [...new Set(parsed.issues.map((issue) => v.getDotPath(issue)))].slice(0, 10);
    logIngest("invalid message", { id: message.id, fields });
    return { kind: "retry", reason: "invalid message" };
  }
  const chunk = parsed.output;
  telemetry.recordIngest(ingestEvent(chunk.kind, { read: chunk.rows.length }));
  try {
    const landed =
      chunk.kind === "customers"
        ? await landCustomers(db, chunk, message.attempts)
        : await landLoans(db, chunk, message.attempts);
    if (landed) {
      telemetry.recordIngest(ingestEvent(chunk.kind, landed));
      return { kind: "landed" };
    }
    await noteRetry(db, chunk, message.attempts, "customers of these loans have not landed yet");
    return { kind: "retry", reason: "missing customers" };
  } catch (error) {
    const kind = databaseErrorKind(error);
    if (kind) telemetry.recordDatabaseError(kind);
    logIngest("chunk failed", {
      job_id: chunk.job_id,
      seq: chunk.seq,
      attempts: message.attempts,
      error: (error as Error).name,
      // "full" or "busy" tells the operator what to do; the message itself may hold row data.
      ...(kind ? { kind } : {}),
    });
    await noteRetry(db, chunk, message.attempts, "the database write failed").catch(
      () => undefined,
    );
    return { kind: "retry", reason: "write failed" };
  }
}

async function landCustomers(
  db: Database,
  chunk: CustomerChunk,
  attempts: number,
): Promise<LandedRows> {
  const existing = await readCustomersForChunk(db, chunk.rows);
  const plan = planCustomers(chunk.rows, existing);
  await runAtomically(db, [
    ...upsertCustomers(db, plan.write),
    ...recordRejections(db, chunk.job_id, "customers", plan.rejections),
    landedState(db, chunk, plan.write.length, attempts),
  ]);
  return { landed: plan.write.length, rejected: plan.rejections.length };
}

async function landLoans(
  db: Database,
  chunk: LoanChunk,
  attempts: number,
): Promise<LandedRows | null> {
  const stored = await readLoansForChunk(db, chunk.rows);
  const plan = planLoans(chunk.rows, stored.loans, stored.customerIds);
  // Their customers may still be on the way (a customer chunk being retried): wait while the
  // queue would still redeliver this chunk.
  if (plan.unknownCustomer.length > 0 && !isLastDelivery(attempts)) return null;
  const rejections = [...plan.repeated, ...plan.unknownCustomer.map(unknownCustomer)];
  await runAtomically(db, [
    ...upsertLoans(db, plan.write),
    ...recordRemaps(db, chunk.job_id, plan.remapped),
    ...recordRejections(db, chunk.job_id, "loans", rejections),
    landedState(db, chunk, plan.write.length, attempts),
  ]);
  return { landed: plan.write.length, rejected: rejections.length };
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

/** After this delivery the queue would give the message up (max_retries + 1 deliveries in all). */
function isLastDelivery(attempts: number): boolean {
  return attempts >= QUEUE_SETTINGS.ingest.maxRetries + 1;
}

/** The chunk's bookkeeping row, written in the same batch as its rows. */
function landedState(db: Database, chunk: IngestMessage, rowsLanded: number, attempts: number) {
  return upsertChunkState(db, { ...chunkIdentity(chunk), status: "landed", rowsLanded, attempts });
}

async function noteRetry(
  db: Database,
  chunk: IngestMessage,
  attempts: number,
  reason: string,
): Promise<void> {
  await runAtomically(db, [
    upsertChunkState(db, {
      ...chunkIdentity(chunk),
      status: "retrying",
      attempts,
      lastError: reason,
    }),
  ]);
}

/** Dead letters: the chunk gave up. Record it so the job report and the script show it. */
async function markDead(db: Database, message: QueueMessage, telemetry: Telemetry): Promise<void> {
  const body = message.body as Partial<IngestMessage> | null;
  const jobId = typeof body?.job_id === "string" ? body.job_id : null;
  const seq = typeof body?.seq === "number" ? body.seq : null;
  if (jobId === null || seq === null) {
    logIngest("dead message without a job", { id: message.id });
    return;
  }
  const kind = body?.kind === "customers" ? "customers" : "loans";
  const rows = Array.isArray(body?.rows) ? body.rows.length : 0;
  await runAtomically(db, [
    upsertChunkState(db, {
      jobId,
      seq,
      kind,
      rows,
      status: "dead",
      attempts: message.attempts,
      lastError: "gave up after repeated failures",
    }),
  ]);
  telemetry.recordIngest(ingestEvent(kind, { dead: rows }));
}

/** Exponential backoff from INGEST_RETRY_DELAY_SECONDS (default 2 s), capped at 5 minutes. */
function retryDelaySeconds(settings: ConsumerSettings, attempts: number): number {
  const base = settings.ingestRetryDelaySeconds;
  return Math.min(300, Math.round(base * 2 ** Math.max(0, attempts - 1)));
}

function logIngest(what: string, fields: Record<string, unknown>): void {
  log("warn", what, fields);
}
