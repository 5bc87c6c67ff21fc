import { fillPlaceholders } from "drizzle-orm";
import type { Database } from "./database";

/**
 * A hot read's statement, built once per database object rather than per request (drizzle spends
 * more CPU building a select's SQL than SQLite spends running it). The Node server keeps one
 * database object, so it builds once; a Worker makes one per request, so nothing outlives it.
 * drizzle's prepared query cannot join a `db.batch()` (batchableOnce, below, hands a batch one).
 */
export function preparedOnce<T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>();
  return (db) => {
    let prepared = built.get(db);
    if (prepared === undefined) {
      prepared = build(db);
      built.set(db, prepared);
    }
    return prepared;
  };
}

/** What drizzle's `db.batch()` reads of a statement: the query `_prepare()` answers. */
interface BatchablePrepared {
  getQuery(): { sql: string; params: unknown[] };
}

/**
 * A write statement for `db.batch()`, built once per database object with placeholders and given
 * each request's values. drizzle's batch takes query builders only (a prepared query cannot join
 * one, drizzle-orm issue 2197) and builds a builder's SQL again for every batch: a quarter of a
 * booking's CPU on the Node server, in a loop (docs/performance.md, round 23). Every driver's
 * batch asks the item for `_prepare()` and reads `getQuery()`, `mapResult()` and, on D1, `stmt`
 * of the answer: here, the one prepared query, its placeholders filled with `values`. A missing
 * value throws (drizzle's `fillPlaceholders`), so a renamed placeholder cannot bind as NULL.
 */
export function batchableOnce<Statement extends { prepare(): unknown }>(
  build: (db: Database) => Statement,
): (db: Database, values: Record<string, unknown>) => Statement {
  const prepared = preparedOnce((db) => build(db).prepare() as BatchablePrepared);
  return (db, values) => {
    const statement = prepared(db);
    const query = statement.getQuery();
    const filled: BatchablePrepared = Object.create(statement);
    const params = fillPlaceholders(query.params, values);
    filled.getQuery = () => ({ ...query, params });
    // toSQL as a query builder answers it, for what reads the statement (its query plan).
    return {
      _prepare: () => filled,
      toSQL: () => ({ sql: query.sql, params }),
    } as unknown as Statement;
  };
}
