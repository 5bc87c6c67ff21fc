import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { type Database, schema } from "../db/database";
import { openNativeLibsql } from "./native-libsql";

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
  /** The database file, for a `file:` database; null in memory or remote. */
  path: string | null;
}

/** How long a statement waits for another process's lock on a `file:` database. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens a libSQL database with the Node client: a `file:` database embedded in the process, or a
 * remote one (`libsql://`, `https://`) with its auth token.
 */
export async function openLibsqlDatabase(
  url: string,
  authToken?: string,
  busyTimeoutMs = BUSY_TIMEOUT_MS,
  /** The cluster primary's connection, which does the bulk ingest writes (native-libsql.ts). */
  bulkWriter = false,
): Promise<LibsqlDatabase> {
  const local = url.startsWith("file:");
  if (local) ensureParentDirectory(url);
  const client = createClient({
    url,
    authToken: authToken || undefined,
    // Local only: a single connection. Every operation on a file database runs synchronously once
    // it has its connection, so more connections add no parallelism — but per-connection pragmas
    // (synchronous) would then hold on some connections and not others.
    ...(local ? { concurrency: 1, timeout: busyTimeoutMs } : {}),
  });
  if (local) {
    // WAL: readers never block the writer (tests and the ingest script read while it writes).
    // synchronous=NORMAL is durable in WAL mode except for the last commits on power loss, and
    // much faster than FULL. libSQL enables foreign keys by default; say so anyway, as D1 does.
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute("PRAGMA synchronous = NORMAL");
    await client.execute("PRAGMA foreign_keys = ON");
  }
  const path = local ? filePath(url) : null;
  if (path === null) {
    return {
      client,
      db: drizzle({ client, schema }),
      close: () => client.close(),
      fault: () => null,
      path,
    };
  }
  const native = openNativeLibsql(path, busyTimeoutMs, bulkWriter);
  return {
    client,
    path,
    db: native.db,
    fault: native.fault,
    close: (options) => {
      try {
        native.close(options);
      } finally {
        client.close();
      }
    },
  };
}

function ensureParentDirectory(url: string): void {
  const path = filePath(url);
  if (path !== null) mkdirSync(dirname(path), { recursive: true });
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
