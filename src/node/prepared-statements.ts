import type NativeDatabase from "libsql";

/*
 * The statements one native connection keeps prepared, by SQL text, least recently used dropped
 * first (a Map iterates in insertion order: re-inserting on use keeps the oldest first).
 */

type Connection = InstanceType<typeof NativeDatabase>;
type Statement = ReturnType<Connection["prepare"]>;
export type Method = "run" | "all" | "values" | "get";
/** A kept statement and whether it returns rows: `reader` is a native call, asked once. */
export type Kept = { statement: Statement; reader: boolean };

/**
 * Distinct SQL texts kept prepared. The API has a few dozen; ingestion adds a few hundred (one
 * per slice size of each multi-row statement).
 */
const MAX_PREPARED = 1_000;

export class PreparedStatements {
  private readonly forAll = new Map<string, Kept>();
  /*
   * Statements that answer `get`, kept apart from the same texts' `all` and `run`: libsql 0.5's
   * `get` binds without resetting first, so on a statement an `all` has run to its end the new
   * parameters are refused, silently, and the query runs again with the earlier call's
   * (test/node-server/native-libsql.node.test.ts). A statement here only ever answers `get`,
   * which resets it when done.
   */
  private readonly forGet = new Map<string, Kept>();

  /** `sql` prepared for `method`, on `connection` if it has to be prepared now. */
  get(sql: string, method: Method, connection: () => Connection): Kept {
    const kept = method === "get" ? this.forGet : this.forAll;
    const found = kept.get(sql);
    if (found) {
      kept.delete(sql);
      kept.set(sql, found);
      return found;
    }
    if (kept.size >= MAX_PREPARED) {
      const oldest = kept.keys().next().value;
      if (oldest !== undefined) kept.delete(oldest);
    }
    const created = connection().prepare(sql);
    const entry = { statement: created, reader: created.reader };
    if (entry.reader) created.raw(true);
    kept.set(sql, entry);
    return entry;
  }

  /** Every kept statement belongs to the connection being replaced or closed. */
  clear(): void {
    this.forAll.clear();
    this.forGet.clear();
  }
}
