import { DrizzleQueryError } from "drizzle-orm";
import { CAUSE_CHAIN_LINKS } from "../../db/errors";

/*
 * An error of one side (the primary's queue store refusing a worker's ingest batch) as it crosses
 * the cluster's IPC: plain data, rebuilt on the other side with what the error handler and the
 * ingest's checks classify by (src/db/errors.ts, src/ingest/trigger-refusals.ts). With its name and
 * message alone, a remote database's 503 (kept in `status` on a cause) was a 500 in a worker.
 */

/** What crosses: never a stack, nor any property but these. */
export interface PlainError {
  name: string;
  message: string;
  /** The driver's code: `SQLITE_BUSY`, `SQLITE_CONSTRAINT_TRIGGER`, @libsql/client's `SERVER_ERROR`. */
  code?: string;
  /** SQLite's extended result code as a number (the native driver's). */
  rawCode?: number;
  /** @libsql/client's extended code, when it gives one. */
  extendedCode?: string;
  /** The HTTP status a remote libSQL server answered (its client's HttpServerError). */
  status?: number;
  /** Drizzle's error for a lone statement: its SQL, so that it is rebuilt as one (not its values). */
  drizzleQuery?: string;
  cause?: PlainError;
}

export function plainError(error: unknown): PlainError {
  try {
    // As many links as databaseCauses reads, so a worker classifies what one process would.
    return plainErrorOf(error, CAUSE_CHAIN_LINKS);
  } catch {
    // A thrown value whose own members throw when read: the reply must still go, or the asking
    // side waits out its timeout and the primary meets an unhandled rejection.
    return { name: "Error", message: "an error that could not be read" };
  }
}

function plainErrorOf(error: unknown, links: number): PlainError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const { code, rawCode, extendedCode, status } = error as unknown as Record<string, unknown>;
  // Drizzle's message quotes the request's values (an ingest's rows): they stay on this side.
  const drizzle = error instanceof DrizzleQueryError;
  const plain: PlainError = { name: error.name, message: drizzle ? "" : error.message };
  if (typeof code === "string") plain.code = code;
  if (typeof rawCode === "number") plain.rawCode = rawCode;
  if (typeof extendedCode === "string") plain.extendedCode = extendedCode;
  if (typeof status === "number") plain.status = status;
  if (drizzle) plain.drizzleQuery = error.query;
  // As src/db/errors.ts reads a chain: an Error's cause is followed, anything else ends it.
  if (error.cause instanceof Error && links > 1) {
    // A cause that cannot be read is left out; this error's own code and status still cross.
    try {
      plain.cause = plainErrorOf(error.cause, links - 1);
    } catch {}
  }
  return plain;
}

export function rebuiltError(plain: PlainError): Error {
  const cause = plain.cause === undefined ? undefined : rebuiltError(plain.cause);
  const { name, message, drizzleQuery, cause: _, ...fields } = plain;
  // Drizzle's own error is skipped by databaseCauses, as its message quotes the request's values.
  const error =
    drizzleQuery === undefined
      ? new Error(message, { cause })
      : new DrizzleQueryError(drizzleQuery, [], cause);
  if (cause === undefined) delete error.cause;
  return Object.assign(error, { name }, fields);
}
