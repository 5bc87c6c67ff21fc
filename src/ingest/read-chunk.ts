import * as v from "valibot";
import { ChunkEnvelopeSchema, ChunkIdentitySchema, type IngestMessage } from "./messages";
import type { Rejection } from "./plan-customers";
import { CustomerRowSchema, type IngestKind, LoanRowSchema } from "./rows";

/*
 * A delivered message read by the consumer: its envelope first, then each row by itself. The
 * endpoint validated the whole message, but a queue message is input like any other (one enqueued
 * by an older release whose rules were looser, or around the endpoint): a row that fails its
 * schema is rejected alone, as the script rejects it, and the chunk's other rows still land.
 */

/** A chunk whose envelope is sound: its valid rows, and a rejection for each other row. */
export interface ReadChunk {
  /** The chunk with its valid rows only. */
  chunk: IngestMessage;
  /** How many rows the message carried, valid or not. */
  received: number;
  invalid: Rejection[];
}

/** A message with no sound envelope: it can never land. Its identity when it has one. */
export interface UnreadableMessage {
  identity: { job_id: string; seq: number; kind: IngestKind; rows: number } | null;
  /** The envelope's fields at fault (paths only: values may be personal data). */
  fields: string[];
}

export function readChunk(body: unknown): ReadChunk | UnreadableMessage {
  const envelope = v.safeParse(ChunkEnvelopeSchema, body);
  if (!envelope.success) {
    const fields = envelope.issues.map((issue) => v.getDotPath(issue) ?? "body");
    return { identity: identityOf(body), fields: [...new Set(fields)].slice(0, 10) };
  }
  const { job_id, seq, rows, defer_new_ids } = envelope.output;
  const invalid: Rejection[] = [];
  const valid = <T>(schema: v.GenericSchema<unknown, T>): T[] =>
    rows.flatMap((row) => {
      const parsed = v.safeParse(schema, row);
      if (parsed.success) return [parsed.output];
      // One rejection per row (the job report's key), on its first problem.
      const [issue] = parsed.issues;
      invalid.push({ row: row.row, column: v.getDotPath(issue), reason: issue.message });
      return [];
    });
  const chunk: IngestMessage =
    envelope.output.kind === "customers"
      ? { job_id, seq, kind: "customers", rows: valid(CustomerRowSchema) }
      : {
          job_id,
          seq,
          kind: "loans",
          ...(defer_new_ids ? { defer_new_ids } : {}),
          rows: valid(LoanRowSchema),
        };
  return { chunk, received: rows.length, invalid };
}

/**
 * The chunk an unreadable message was meant to be, when it names one: recorded dead under it, so
 * the job report shows it. A registered chunk keeps its own kind and size.
 */
export function identityOf(body: unknown): UnreadableMessage["identity"] {
  if (!v.is(ChunkIdentitySchema, body)) return null;
  const { kind, rows } = body as { kind?: unknown; rows?: unknown };
  return {
    job_id: body.job_id,
    seq: body.seq,
    kind: kind === "customers" ? "customers" : "loans",
    rows: Array.isArray(rows) ? rows.length : 0,
  };
}
