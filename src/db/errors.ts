import { DrizzleQueryError } from "drizzle-orm";

/*
 * Recognising database errors without knowing the driver. D1 reports errors as messages
 * ("D1_ERROR: …"); libSQL as LibsqlError with a `code` (and the SQLite text in the message), its
 * HTTP transport as an error with a `status`, and fetch failures as a TypeError with a cause. Each
 * check therefore walks the whole cause chain, but for drizzle's error for a lone statement, whose
 * message repeats the request's values (`databaseCauses`).
 */

/**
 * The database cannot be reached, is busy, or refuses writes right now (a read-only file, or on
 * the Node server a file deleted or replaced under it). A refusal changed nothing; a connection
 * lost mid-write may have committed it (`mayHaveBeenApplied`).
 */
const TRANSIENT_MESSAGE = new RegExp(
  [
    // D1: the messages its docs and Cloudflare's own templates retry. Not every "D1_ERROR": that
    // prefix also carries SQL errors (a statement over 100 parameters), which no retry can fix.
    "D1_RESET_DO",
    "Network connection lost",
    "storage operation exceeded",
    "storage caused object to be reset",
    "reset because its code was updated",
    "D1 DB is overloaded",
    "transient issue",
    // SQLite, either driver (a file database shared by processes, or Turso under load)
    "SQLITE_BUSY",
    "database is locked",
    // A file the process may not write (permissions, a read-only mount), or whose path no longer
    // names it (src/node/native-libsql.ts): the write was refused, not applied.
    "SQLITE_READONLY",
    "attempt to write a readonly database",
    // The Node server's database closed under a request (it is stopping): nothing was applied.
    "the database connection is closed",
    // libSQL over HTTP or WebSockets: the stream or the socket went away
    "HRANA_CLOSED_ERROR",
    "HRANA_WEBSOCKET_ERROR",
    // fetch in Node (undici) and its causes
    "fetch failed",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
  ].join("|"),
  "i",
);

export function isTransientDatabaseError(error: unknown): boolean {
  return (
    someCause(error, (cause) => TRANSIENT_MESSAGE.test(cause.message)) ||
    isServerBusyStatus(answeredStatus(error))
  );
}

/**
 * Transient errors that refuse a statement before it runs: a lock not granted, a file that may not
 * be written, a closed connection, a connection refused, a D1 that turns work away. The others
 * (a connection lost or reset, a timeout, a storage reset) can come after a write committed.
 */
const REFUSED_BEFORE_RUNNING = new RegExp(
  [
    "SQLITE_BUSY",
    "database is locked",
    "SQLITE_READONLY",
    "attempt to write a readonly database",
    "the database connection is closed",
    "ECONNREFUSED",
    "D1 DB is overloaded",
    "transient issue",
  ].join("|"),
  "i",
);

/**
 * A transient error after which a write may have been applied: D1's "Network connection lost" (or
 * a libSQL server's connection reset) can come before the commit or after it, and the error is
 * the same. A write answered with it must not say that nothing was changed.
 */
export function mayHaveBeenApplied(error: unknown): boolean {
  return (
    isTransientDatabaseError(error) &&
    !someCause(error, (cause) => REFUSED_BEFORE_RUNNING.test(cause.message))
  );
}

/**
 * SQLite ran out of room (SQLITE_FULL: the disk or a quota is full). The statement failed and the
 * server's connection rolls its transaction back, so nothing was applied; a retry succeeds only once
 * someone frees space, hence its own answer and metric rather than "busy".
 */
export function isStorageFullError(error: unknown): boolean {
  return someCause(error, (cause) => /database or disk is full|SQLITE_FULL/i.test(cause.message));
}

/**
 * The codes SQLite reports a damaged database file with: a page it cannot read as what it should
 * be (SQLITE_CORRUPT, "database disk image is malformed") or a header that is not SQLite's
 * (SQLITE_NOTADB, "file is not a database"). The statement failed and its transaction is rolled
 * back, so nothing was applied; no retry helps until an operator restores the file from a backup.
 */
export type DatabaseDamage = "SQLITE_CORRUPT" | "SQLITE_NOTADB";

/**
 * What a damage means, as every message naming it says it (a request's 503, a dead chunk's
 * reason, db:backup's refusal): `needing` says whose part cannot be read ("this request needs").
 */
export function whatDamageMeans(damage: DatabaseDamage, needing?: string): string {
  return damage === "SQLITE_NOTADB"
    ? "its file no longer reads as a SQLite database"
    : `a part of it${needing ? ` ${needing}` : ""} cannot be read`;
}

/**
 * Which of the two SQLite reported, or null when the error is no damage: the dead chunk's reason
 * and the logs name it, where they said SQLITE_CORRUPT for a file whose header was overwritten
 * too. One of two fixed names, never text of the error's, and read from the database's words only
 * (`databaseCauses`: a value a request sent is no code). The native driver puts the code in `code`
 * (extended: SQLITE_CORRUPT_INDEX is SQLITE_CORRUPT) and SQLite's words in the message;
 * @libsql/client and D1 put the code in the message too.
 */
export function databaseDamage(error: unknown): DatabaseDamage | null {
  for (const cause of databaseCauses(error)) {
    const code = (cause as { code?: unknown }).code;
    const said = `${typeof code === "string" ? code : ""} ${cause.message}`;
    if (NOT_A_DATABASE.test(said)) return "SQLITE_NOTADB";
    if (CORRUPT.test(said)) return "SQLITE_CORRUPT";
  }
  return null;
}

const NOT_A_DATABASE = /SQLITE_NOTADB|file is not a database/i;
const CORRUPT = /SQLITE_CORRUPT|database disk image is malformed/i;

/** True when the error is a UNIQUE violation on the idempotency key (a concurrent twin won). */
export function isKeyTakenError(error: unknown): boolean {
  // SQLite's own wording, which D1 and both libSQL transports pass through.
  return someCause(error, (cause) =>
    /UNIQUE constraint failed: idempotency_keys\.key/.test(cause.message),
  );
}

/**
 * Runs a keyed write, answering "key-taken" when a concurrent twin stored the same Idempotency-Key
 * first: the batch failed whole, so nothing of this request was applied.
 */
export async function unlessKeyTaken<Outcome>(
  write: () => Promise<Outcome>,
): Promise<Outcome | { kind: "key-taken" }> {
  try {
    return await write();
  } catch (error) {
    if (isKeyTakenError(error)) return { kind: "key-taken" };
    throw error;
  }
}

/**
 * The table the database refused a new id in because it would pass 2^53 - 1 (migrations/0008), or
 * null. The insert changed nothing; no retry helps until an operator renumbers that table's ids.
 */
export function idRangeExhaustedTable(error: unknown): string | null {
  let table: string | null = null;
  someCause(error, (cause) => {
    table = /ID_RANGE_EXHAUSTED: (\w+)/.exec(cause.message)?.[1] ?? null;
    return table !== null;
  });
  return table;
}

/**
 * The schema is behind the code: a table or column the query names does not exist, as when a
 * release is deployed before its migrations are applied, whether it reads the new column or
 * writes it. A retry cannot help until they are.
 */
export function isMissingSchemaError(error: unknown): boolean {
  // drizzle wraps the driver's error ("Failed query: …"), so the cause chain is walked. SQLite
  // says "no such column" for a read and "table … has no column named …" for a write.
  return someCause(error, (cause) =>
    /no such (table|column)|has no column named/i.test(cause.message),
  );
}

/** A libSQL server answering 5xx or 429 over HTTP. */
function isServerBusyStatus(status: number | null): boolean {
  return status !== null && (status >= 500 || status === 429);
}

/**
 * The HTTP status a libSQL server answered over HTTP, anywhere in the cause chain (the client's
 * HttpServerError carries it), or null: no answer, or not over HTTP.
 */
export function answeredStatus(error: unknown): number | null {
  for (const cause of databaseCauses(error)) {
    const status = (cause as { status?: unknown }).status;
    if (typeof status === "number") return status;
  }
  return null;
}

function someCause(error: unknown, test: (cause: Error) => boolean): boolean {
  return databaseCauses(error).some(test);
}

/** How many links of a cause chain are read: a chain is short, and a cycle must not hang the reader. */
export const CAUSE_CHAIN_LINKS = 10;

/**
 * The errors of a cause chain whose words are the database's or its driver's. Not drizzle's own
 * error for a lone statement ("Failed query: <statement> params: <values>"): it repeats the values
 * the request sent, and a value is no word of the database. A customer registered as
 * "SQLITE_CORRUPT" while the write lock was held was answered that the database is damaged (no
 * Retry-After: restore from a backup) and counted `damaged`. Its cause, the driver's error, is.
 */
export function databaseCauses(error: unknown): Error[] {
  const causes: Error[] = [];
  let cause: unknown = error;
  for (let depth = 0; depth < CAUSE_CHAIN_LINKS && cause instanceof Error; depth++) {
    if (!(cause instanceof DrizzleQueryError)) causes.push(cause);
    cause = cause.cause;
  }
  return causes;
}
