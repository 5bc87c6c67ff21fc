import { isStorageFullError, isTransientDatabaseError } from "./errors";

/** The database errors the metrics count apart. */
export type DatabaseErrorKind = "busy" | "full" | "constraint" | "other";

/** SQLite's constraint errors, as D1 and both libSQL drivers pass them through. */
const CONSTRAINT = /constraint failed|SQLITE_CONSTRAINT/i;
/** Signs that an error came from the database and not from the code around it. */
const FROM_DATABASE = /D1_|SQLITE_|LIBSQL|HRANA|no such (table|column)|database|\bSQL\b/i;

/**
 * What kind of database error this is, for the metrics; null when it is not a database error at
 * all (a bug in the code around it is counted as a 500, not here).
 */
export function databaseErrorKind(error: unknown): DatabaseErrorKind | null {
  if (isStorageFullError(error)) return "full";
  if (isTransientDatabaseError(error)) return "busy";
  const messages = causeChain(error).map((cause) => `${cause.name} ${cause.message}`);
  if (messages.some((text) => CONSTRAINT.test(text))) return "constraint";
  if (messages.some((text) => FROM_DATABASE.test(text))) return "other";
  return null;
}

function causeChain(error: unknown): Error[] {
  const chain: Error[] = [];
  // Bounded, as in errors.ts: a cycle must not hang the error handler.
  for (let cause = error; chain.length < 10 && cause instanceof Error; cause = cause.cause) {
    chain.push(cause);
  }
  return chain;
}
