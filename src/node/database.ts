import { type Client, createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { type Database, schema } from "../db/database";
import { answeredStatus } from "../db/errors";
import {
  confirmFilePath,
  confirmKnownMigrations,
  confirmOwnDatabase,
  confirmUndamaged,
  confirmWritableFile,
  DatabaseOpenError,
  existingFiles,
  fileOpenError,
  removeCreatedFiles,
  walBytes,
} from "./database-open";
import {
  type DatabaseSynchronous,
  type NativeLibsql,
  openNativeLibsql,
  synchronousPragma,
} from "./native-libsql";
import { syncNewEntries } from "./sync-to-disk";

export interface LibsqlDatabase {
  /** `@libsql/client`: migrations, and the whole app on a remote database. */
  client: Client;
  /** The app's queries: on a local file, through its own connection (src/node/native-libsql.ts). */
  db: Database;
  /** `checkpoint: false` leaves the WAL to the last process to close (a cluster's primary). */
  close: (options?: { checkpoint?: boolean }) => void;
  /**
   * Why a `file:` database cannot take writes (deleted, replaced or read-only under the server),
   * for /readyz; always null in memory or remote.
   */
  fault: () => string | null;
  /**
   * Writes waiting, off the event loop, for a write lock another process holds (another worker,
   * the ingest consumer, a script); always 0 remote, where the service keeps its own line.
   */
  writesWaiting: () => number;
  /** The database file, for a `file:` database; null in memory or remote. */
  path: string | null;
}

/** How long a statement waits for another process's lock on a `file:` database. */
const BUSY_TIMEOUT_MS = 5_000;

export interface OpenOptions {
  /** How long a statement waits for another process's lock (default 5 s). */
  busyTimeoutMs?: number;
  /** The cluster primary's connection, which does the bulk ingest writes (native-libsql.ts). */
  bulkWriter?: boolean;
  /**
   * A start that writes (the server's, the migrations'): a `file:` database this process may not
   * write stops it with one line saying why (database-open.ts) before the file is opened.
   */
  confirmWritable?: boolean;
  /**
   * The server's start: `PRAGMA quick_check` on a `file:` database, which stops the start with one
   * line when the file is damaged (database-open.ts). Its cost grows with the file: figures and the
   * setting that turns it off (DATABASE_QUICK_CHECK) in docs/operations.md.
   */
  quickCheck?: boolean;
  /** DATABASE_SYNCHRONOUS on every connection to a `file:` database (default `full`). */
  synchronous?: DatabaseSynchronous;
}

/**
 * Opens a libSQL database with the Node client: a `file:` database embedded in the process, or a
 * remote one (`libsql://`, `https://`) with its auth token.
 */
export async function openLibsqlDatabase(
  url: string,
  authToken?: string,
  {
    busyTimeoutMs = BUSY_TIMEOUT_MS,
    bulkWriter = false,
    confirmWritable = false,
    quickCheck = false,
    synchronous = "full",
  }: OpenOptions = {},
): Promise<LibsqlDatabase> {
  const local = url.startsWith("file:");
  const path = local ? filePath(url) : null;
  if (path === null) {
    // Remote, or memory (which the settings refuse; libSQL gives it one connection).
    const client = createClient({ url, authToken: authToken || undefined });
    if (!local) await answering(client, url, remoteTarget(url, authToken));
    return {
      client,
      db: drizzle({ client, schema }),
      close: () => client.close(),
      fault: () => null,
      writesWaiting: () => 0,
      path,
    };
  }
  const { client, native } = await openFile(path, url, {
    busyTimeoutMs,
    bulkWriter,
    confirmWritable,
    quickCheck,
    synchronous,
  });
  return {
    client,
    path,
    db: native.db,
    fault: native.fault,
    writesWaiting: native.writesWaiting,
    close: (options) => {
      try {
        native.close(options);
      } finally {
        client.close();
      }
    },
  };
}

/**
 * A `file:` database opened with `@libsql/client`, checked before anything is written: a file,
 * not a directory, and this product's database (migrated by no newer release) or a new one. What cannot be opened is one
 * DatabaseOpenError naming the file, and what the attempt created beside it is removed.
 */
async function openFile(
  path: string,
  url: string,
  { busyTimeoutMs, bulkWriter, confirmWritable, quickCheck, synchronous }: Required<OpenOptions>,
): Promise<{ client: Client; native: NativeLibsql }> {
  // Once: the writable check confirms the path first (it was asked twice at the server's start).
  const createdFolder = confirmWritable ? confirmWritableFile(path) : confirmFilePath(path);
  const existedBefore = existingFiles(path);
  const walBytesBefore = walBytes(path);
  let client: Client | null = null;
  try {
    // A single connection. Every operation on a file database runs synchronously once it has its
    // connection, so more connections add no parallelism — but per-connection pragmas
    // (synchronous) would then hold on some connections and not others.
    client = createClient({ url, concurrency: 1, timeout: busyTimeoutMs });
    const opened = client;
    const recorded = await confirmOwnDatabase(path, async (sql) =>
      (await opened.execute(sql)).rows.map((row) => String(row[0])),
    );
    confirmKnownMigrations(path, recorded);
    // Before anything is written: a damaged page found now stops the start, instead of a 503 on
    // the first request that needs it (SQLite reports some damage as rows, some as SQLITE_CORRUPT).
    if (quickCheck) {
      confirmUndamaged(
        path,
        (await opened.execute("PRAGMA quick_check")).rows.map((row) => String(row[0])),
        walBytesBefore,
      );
    }
    // WAL: readers never block the writer (tests and the ingest script read while it writes).
    await client.execute("PRAGMA journal_mode = WAL");
    await applyConnectionPragmas(client, synchronous);
    keepPragmasOnReconnect(client, synchronous);
    // The queries' own connection, in the same try: its open fails too (the -shm it maps needs
    // 32 KiB: SQLITE_IOERR_SHMSIZE on a nearly full disk), and was a stack trace.
    const native = openNativeLibsql(path, busyTimeoutMs, bulkWriter, synchronous);
    try {
      if (!existedBefore.has(path)) syncNewEntries(path, createdFolder);
    } catch (error) {
      native.close({ checkpoint: false });
      throw error;
    }
    return { client, native };
  } catch (error) {
    // Said before the close, and of the -wal as it was before the open: a closed connection may
    // checkpoint and remove a -wal the line names (a restored file's old one), at a moment the
    // garbage collector chooses, so the line varied run to run.
    const failure = fileOpenError(path, error, walBytesBefore);
    client?.close();
    removeCreatedFiles(path, existedBefore);
    throw failure;
  }
}

/**
 * The per-connection pragmas a new connection starts without. libSQL enables foreign keys by
 * default; said anyway, as D1 does.
 */
async function applyConnectionPragmas(
  client: Client,
  synchronous: DatabaseSynchronous,
): Promise<void> {
  await client.execute(synchronousPragma(synchronous));
  await client.execute("PRAGMA foreign_keys = ON");
}

/**
 * `reconnect()` (the migrations' way out of a write refused for a lock) opens new connections,
 * which started at SQLite's default: the migrations after it committed without the chosen
 * synchronous. Set again on the client itself, so every caller's reconnect keeps it.
 */
function keepPragmasOnReconnect(client: Client, synchronous: DatabaseSynchronous): void {
  const reconnect = client.reconnect.bind(client);
  client.reconnect = async () => {
    await reconnect();
    await applyConnectionPragmas(client, synchronous);
  };
}

/** A remote DATABASE_URL as the start's lines name it, read from the URL once. */
interface RemoteTarget {
  /** The URL's host: never its query, which may hold a token. */
  host: string;
  /** The setting whose token the client sent, or null when it sent none. */
  tokenSetting: "the authToken in DATABASE_URL" | "DATABASE_AUTH_TOKEN" | null;
}

function remoteTarget(url: string, authToken?: string): RemoteTarget {
  const { host, searchParams } = new URL(url);
  // The client sends the URL's authToken, when there is one, instead of DATABASE_AUTH_TOKEN.
  const tokenSetting = searchParams.has("authToken")
    ? "the authToken in DATABASE_URL"
    : authToken
      ? "DATABASE_AUTH_TOKEN"
      : null;
  return { host, tokenSetting };
}

/** How long a remote database has to answer its first query at start. */
const REMOTE_ANSWER_MS = 30_000;

/**
 * One query before the server goes on: a remote database that refuses the connection or never
 * answers (a firewall, a host that accepts and says nothing) was a stack trace, or a start that
 * waited silently for minutes; one that refuses the token, or has no such database, was the same
 * "did not answer" and exit 1, restarted for nothing. Its host is named, never the URL's query.
 */
async function answering(client: Client, url: string, target: RemoteTarget): Promise<void> {
  const { host } = target;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new DatabaseOpenError(
            `database ${host}: did not answer within ${REMOTE_ANSWER_MS / 1000} s`,
            "may-pass",
          ),
        ),
      REMOTE_ANSWER_MS,
    );
  });
  try {
    await Promise.race([client.execute("SELECT 1"), deadline]);
  } catch (error) {
    client.close();
    if (error instanceof DatabaseOpenError) throw error;
    const refused = refusal(answeredStatus(error), target);
    if (refused !== null) throw refused;
    const { message, cause } = error as Error & { cause?: Error };
    // The client's message repeats its cause's ("SERVER_ERROR: Server returned HTTP status 500").
    const reason =
      cause?.message && !message.includes(cause.message) ? `${message}: ${cause.message}` : message;
    throw new DatabaseOpenError(
      `database ${host}: did not answer (${reason.replaceAll(url, host)}); check DATABASE_URL, DATABASE_AUTH_TOKEN and that it is reachable`,
      // A network or the server's outage (5xx) passes; a refused connection may be a wrong host
      // or port or a server down, which the client cannot tell apart: a restart is worth its try.
      "may-pass",
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A remote database's answer that no restart changes, as one line for the operator, or null: Turso
 * and sqld answer 401 to a wrong, expired or missing token, Turso 404 to a database that does not
 * exist. (sqld's 400 for that is left to a restart: it answers 400 to a transaction timeout too.)
 * The token is never printed, nor the URL's query, which may hold it.
 */
function refusal(
  status: number | null,
  { host, tokenSetting }: RemoteTarget,
): DatabaseOpenError | null {
  if (status === 401 || status === 403) {
    const problem =
      tokenSetting === null
        ? `asks for credentials (HTTP ${status}) and no DATABASE_AUTH_TOKEN is set`
        : `refused the credentials (HTTP ${status}): ${tokenSetting} is wrong, expired or another database's`;
    return new DatabaseOpenError(
      `database ${host}: ${problem}; set it to a token for this database (Turso: turso db tokens create <database>)`,
      "operator",
    );
  }
  if (status === 404) {
    return new DatabaseOpenError(
      `database ${host}: has no database at this URL (HTTP 404); check DATABASE_URL (Turso: turso db show <database> --url)`,
      "operator",
    );
  }
  return null;
}

/**
 * The path of a `file:` URL as libSQL opens it: percent-decoded (the server's own connection once
 * opened `my%20db.db` while the migrations went to `my db.db`), after an empty or `localhost`
 * host; null for memory. DATABASE_URL's other forms are refused by the settings.
 */
export function filePath(url: string): string | null {
  const rest = /^file:(?:\/\/[^/?#]*)?([^?#]*)/.exec(url)?.[1] ?? "";
  if (rest === "" || rest === ":memory:") return null;
  return decodeURIComponent(rest);
}
