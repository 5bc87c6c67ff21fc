import {
  type DatabaseDamage,
  databaseCauses,
  databaseDamage,
  isStorageFullError,
  isTransientDatabaseError,
} from "./errors";

/**
 * The database errors the metrics count apart (docs/operations.md lists them, and
 * test/build/docs-drift.node.test.ts holds the list to it). `damaged` has its own kind for an
 * alert to key on: the one error no retry and no freed space ends, until an operator restores the
 * file; counted as `other` it hid among SQL errors and a schema behind the code.
 */
export const DATABASE_ERROR_KINDS = ["busy", "full", "damaged", "constraint", "other"] as const;

export type DatabaseErrorKind = (typeof DATABASE_ERROR_KINDS)[number];

/** SQLite's constraint errors, as D1 and both libSQL drivers pass them through. */
const CONSTRAINT = /constraint failed|SQLITE_CONSTRAINT/i;
/** Signs that an error came from the database and not from the code around it. */
const FROM_DATABASE = /D1_|SQLITE_|LIBSQL|HRANA|no such (table|column)|database|\bSQL\b/i;

/**
 * What kind of database error this is, for the metrics; null when it is not a database error at
 * all (a bug in the code around it is counted as a 500, not here). In the error handler's order:
 * a full database, a damaged one, then a transient error.
 */
export function databaseErrorKind(error: unknown): DatabaseErrorKind | null {
  return classifyDatabaseError(error)?.kind ?? null;
}

/** A database error's kind and, for a damaged database, the code SQLite reported. */
type DatabaseErrorClass =
  | { kind: Exclude<DatabaseErrorKind, "damaged"> }
  | { kind: "damaged"; damage: DatabaseDamage };

/**
 * databaseErrorKind, with the damage a `damaged` error names: the ingest consumer counts the kind
 * and words a damaged chunk's reason by the damage, and classified the error twice to get both.
 */
export function classifyDatabaseError(error: unknown): DatabaseErrorClass | null {
  if (isStorageFullError(error)) return { kind: "full" };
  const damage = databaseDamage(error);
  if (damage !== null) return { kind: "damaged", damage };
  if (isTransientDatabaseError(error)) return { kind: "busy" };
  // The constraint is the database's word, not a value drizzle's error repeats (databaseCauses).
  const said = (cause: Error) => `${cause.name} ${cause.message}`;
  if (databaseCauses(error).some((cause) => CONSTRAINT.test(said(cause)))) {
    return { kind: "constraint" };
  }
  if (causeChain(error).some((cause) => FROM_DATABASE.test(said(cause)))) return { kind: "other" };
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
