import type { Context } from "hono";
import * as v from "valibot";
import type { Database } from "../../db/database";
import { ingestRetentionCutoff, jobPastRetention } from "../../db/ingest-retention";
import type { AppEnv } from "../../http/app-env";
import type { AcceptedBatch, StoredRows } from "../../ingest/job-report";
import {
  conflictingMessages,
  countStoredRows,
  jobsPastRetention,
  loadJobReport,
  registerMessages,
} from "../../ingest/job-store";
import {
  IngestBatchSchema,
  type IngestMessage,
  oversizedParts,
  QUEUE_LIMITS,
} from "../../ingest/messages";
import { toFieldProblems } from "../../ingest/rows";
import { runAtomically } from "../../ingest/store";
import { isChunkConflict } from "../../ingest/trigger-refusals";
import { isJsonMediaType } from "../../lib/json-media-type";
import { log } from "../../lib/log";
import {
  malformedJsonProblem,
  ProblemError,
  serviceUnavailableProblem,
  unknownIngestJobProblem,
  unsupportedMediaTypeProblem,
  validationProblem,
} from "../../lib/problem";
import { decodeBodyAsUtf8 } from "../../lib/utf8-body";
import { summariseJob } from "./job-report";

/** POST /ingest/batches: validate one sendBatch worth of chunks, register them, enqueue them. */
export async function enqueueBatch(c: Context<AppEnv>) {
  const parsed = v.safeParse(IngestBatchSchema, await readJson(c));
  if (!parsed.success) {
    throw validationProblem(
      toFieldProblems(parsed.issues).map((p) => ({ field: p.field ?? "body", message: p.reason })),
    );
  }
  const { messages } = parsed.output;
  const oversized = oversizedParts(messages);
  if (oversized.length > 0) {
    throw new ProblemError({
      kind: "payload-too-large",
      detail: `A message may hold ${QUEUE_LIMITS.maxMessageBytes} bytes and a batch ${QUEUE_LIMITS.maxSendBytes}; send smaller chunks.`,
      errors: oversized,
    });
  }

  const db = c.get("db");
  const queue = c.env.INGEST_QUEUE;
  const send = () =>
    queue.sendBatch(messages.map((body) => ({ body, contentType: "json" as const })));
  try {
    if (queue.registersChunks) {
      await send();
    } else {
      await runAtomically(db, await registerMessages(db, messages));
      await sendToQueue(c, send);
    }
  } catch (error) {
    // Registration and enqueueing are one commit on Node and come in that order on the Worker:
    // a refused registration has enqueued nothing.
    if (isChunkConflict(error)) {
      const cutoff = ingestRetentionCutoff(Date.now(), c.get("config").ingestRetentionDays);
      throw await chunkConflictProblem(db, messages, cutoff);
    }
    throw error;
  }

  const accepted: AcceptedBatch = {
    accepted: messages.length,
    rows: messages.reduce((sum, m) => sum + m.rows.length, 0),
  };
  return c.json(accepted, 202);
}

/**
 * Sends to a queue that is not the database (Cloudflare Queues), the chunks already registered. A
 * refused send is the queue's failure, not a bug: 503, and the same send again is accepted as a
 * redelivery of the registered chunks. It was a 500 logged as an unhandled error. The log line
 * names the error's class only: its message could quote the rows.
 */
async function sendToQueue(c: Context<AppEnv>, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    log("error", "ingest queue refused the batch", {
      error: (error as Error)?.name ?? "error",
      request_id: c.get("requestId"),
    });
    throw serviceUnavailableProblem(
      "The ingest queue refused this batch, so its chunks may not be queued: send the same batch again (a chunk that arrives twice lands once).",
      1,
    );
  }
}

/**
 * 409 naming each message whose (job_id, seq) already holds another chunk. The same chunk sent
 * again (the script's retry of a send) matches its registration and is accepted as before. A job
 * past its retention whose chunks the sweep has not yet deleted is unknown to its report (404), yet
 * its seqs are taken: such a message is named by its job_id, which is what the sender must change
 * (it was named by its seq, "already registered in this job", a job the report said was unknown).
 */
async function chunkConflictProblem(
  db: Database,
  messages: readonly IngestMessage[],
  cutoffIso: string,
): Promise<ProblemError> {
  const conflicting = await conflictingMessages(db, messages);
  const expired = await jobsPastRetention(
    db,
    conflicting.map((index) => messages[index]?.job_id ?? ""),
    cutoffIso,
  );
  return new ProblemError({
    kind: "conflict",
    detail:
      "A chunk of this send differs from the chunk already registered under its job_id and seq; nothing was enqueued. Give a different chunk its own seq, or, in a job past its retention, its own job_id.",
    errors: conflicting.map((index) =>
      expired.has(messages[index]?.job_id ?? "")
        ? {
            field: `messages.${index}.job_id`,
            message:
              "names a job past its retention (INGEST_RETENTION_DAYS) that is not yet deleted: send it under a new job_id",
          }
        : {
            field: `messages.${index}.seq`,
            message: "is already registered in this job with other rows",
          },
    ),
  });
}

/** GET /ingest/jobs/:job_id: where every chunk of a job is, with rejections and remapped ids. */
export async function showJob(c: Context<AppEnv>) {
  const jobId = c.req.param("job_id") ?? "";
  const deferredAfterRow = deferredAfter(c.req.query("deferred_after"));

  const cutoff = ingestRetentionCutoff(Date.now(), c.get("config").ingestRetentionDays);
  const report = await loadJobReport(c.get("db"), jobId, deferredAfterRow);
  // No chunk, or none since the cutoff: unknown. A job past its retention is unknown at once, as
  // once the sweep has deleted it: partly swept, its report showed what was left
  // (docs/ingestion.md#retention). Its chunks are read in the report's one batch, so the answer is
  // the whole job or none of it.
  if (
    jobPastRetention(
      report.chunks.map((chunk) => chunk.updatedAt),
      cutoff,
    )
  ) {
    throw unknownIngestJobProblem(jobId);
  }
  return c.json(summariseJob(jobId, report), 200);
}

/**
 * `?deferred_after=ROW`: the deferred loans are listed from the first row after ROW, so a client
 * pages past rows it has sent again (a row whose resend died stays pending, and 10,000 of them
 * filled the list). Absent: from the first row.
 */
function deferredAfter(value: string | undefined): number {
  if (value === undefined) return 0;
  const row = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(row)) {
    throw validationProblem([
      {
        field: "deferred_after",
        message: `must be a row number (a whole number from 0 to ${Number.MAX_SAFE_INTEGER})`,
      },
    ]);
  }
  return row;
}

/** GET /ingest/summary: how many customers and loans are stored (npm start seeds when empty). */
export async function showSummary(c: Context<AppEnv>) {
  const stored: StoredRows = await countStoredRows(c.get("db"));
  return c.json(stored, 200);
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  if (!isJsonMediaType(c.req.header("Content-Type"))) {
    throw unsupportedMediaTypeProblem();
  }
  // After the token and the ingest's own body limit: a JSON body must be UTF-8, as on the API's routes.
  await decodeBodyAsUtf8(c);
  try {
    return await c.req.json();
  } catch {
    throw malformedJsonProblem();
  }
}
