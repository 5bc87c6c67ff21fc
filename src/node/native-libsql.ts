import { drizzle } from "drizzle-orm/sqlite-proxy";
import NativeDatabase from "libsql";
import { type Database, schema } from "../db/client";

/*
 * The Node server's own connection to a `file:` database: the `libsql` engine that
 * `@libsql/client` wraps, used directly, behind drizzle's sqlite-proxy driver. What that saves,
 * per statement: preparing it again (each SQL text is prepared once and kept), asking for its
 * columns, and building a row object with named and numbered keys (drizzle maps plain arrays).
 * A batch is BEGIN … COMMIT around synchronous calls, so nothing else runs in between.
 * Measured in docs/performance.md.
 *
 * One difference from the other drivers, which the app never meets: a raw `db.all(sql\`…\`)`
 * returns rows as arrays here, as objects on D1 and @libsql/client. The data layer uses query
 * builders only, which map to the same objects on every driver.
 */

type Statement = ReturnType<InstanceType<typeof NativeDatabase>["prepare"]>;
type Method = "run" | "all" | "values" | "get";

/** Distinct SQL texts kept prepared. The app has a few dozen; ingestion adds one per slice size. */
const MAX_PREPARED = 500;

export interface NativeLibsql {
  db: Database;
  close: () => void;
}

export function openNativeLibsql(path: string, busyTimeoutMs: number): NativeLibsql {
  const native = new NativeDatabase(path, { timeout: busyTimeoutMs });
  // As on every connection the server opens: see openLibsqlDatabase.
  native.exec("PRAGMA journal_mode = WAL");
  native.exec("PRAGMA synchronous = NORMAL");
  native.exec("PRAGMA foreign_keys = ON");

  const prepared = new Map<string, Statement>();
  const statement = (sql: string): Statement => {
    let found = prepared.get(sql);
    if (!found) {
      if (prepared.size >= MAX_PREPARED) prepared.clear();
      found = native.prepare(sql);
      if (found.reader) found.raw(true);
      prepared.set(sql, found);
    }
    return found;
  };

  const execute = (sql: string, params: unknown[], method: Method): { rows: unknown[] } => {
    const prepared = statement(sql);
    if (!prepared.reader) {
      prepared.run(params);
      return { rows: [] };
    }
    if (method === "get") return { rows: prepared.get(params) as unknown[] };
    return { rows: prepared.all(params) as unknown[] };
  };

  const db = drizzle(
    async (sql, params, method) => execute(sql, params, method),
    async (queries) => {
      native.exec("BEGIN");
      try {
        const results = queries.map((query) => execute(query.sql, query.params, query.method));
        native.exec("COMMIT");
        return results;
      } catch (error) {
        if (native.inTransaction) native.exec("ROLLBACK");
        throw error;
      }
    },
    { schema },
  ) as unknown as Database;

  return {
    db,
    close: () => {
      // Kept statements keep SQLite from checkpointing when the connection closes: fold the WAL
      // into the database file now, so a stopped server leaves one self-contained file.
      native.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      prepared.clear();
      native.close();
    },
  };
}
