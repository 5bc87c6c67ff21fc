import { drizzle } from "drizzle-orm/sqlite-proxy";
import NativeDatabase from "libsql";
import { type Database, schema } from "../db/client";
import { log } from "../lib/log";

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

/**
 * Distinct SQL texts kept prepared, least recently used dropped first. The API has a few dozen;
 * ingestion adds a few hundred (one per slice size of each multi-row statement).
 */
const MAX_PREPARED = 1_000;

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

  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const prepared = new Map<string, Statement>();
  const statement = (sql: string): Statement => {
    const found = prepared.get(sql);
    if (found) {
      prepared.delete(sql);
      prepared.set(sql, found);
      return found;
    }
    if (prepared.size >= MAX_PREPARED) {
      const oldest = prepared.keys().next().value;
      if (oldest !== undefined) prepared.delete(oldest);
    }
    const created = native.prepare(sql);
    if (created.reader) created.raw(true);
    prepared.set(sql, created);
    return created;
  };

  const execute = (sql: string, params: unknown[], method: Method): { rows: unknown[] } => {
    const found = statement(sql);
    // The engine cannot bind a boolean (it aborts the process); @libsql/client sent 1 and 0.
    const values = params.map((value) => (typeof value === "boolean" ? Number(value) : value));
    if (!found.reader) {
      found.run(values);
      return { rows: [] };
    }
    if (method === "get") return { rows: found.get(values) as unknown[] };
    return { rows: found.all(values) as unknown[] };
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
        try {
          if (native.inTransaction) native.exec("ROLLBACK");
        } catch {
          // the statement's own error is the one to report
        }
        throw error;
      }
    },
    { schema },
  ) as unknown as Database;

  return {
    db,
    close: () => {
      if (!native.open) return;
      try {
        // Kept statements keep SQLite from checkpointing when the connection closes: fold the
        // WAL into the database file now, so a stopped server leaves one self-contained file.
        const [busy] = native.prepare("PRAGMA wal_checkpoint(TRUNCATE)").raw(true).get([]) as [
          number,
        ];
        if (busy)
          log(
            "warn",
            "the WAL could not be checkpointed at shutdown: another connection is reading",
            {},
          );
      } finally {
        prepared.clear();
        native.close();
      }
    },
  };
}
