import { fillPlaceholders, type Placeholder, sql } from "drizzle-orm";
import type { RunnableQuery } from "drizzle-orm/runnable-query";
import type { Database } from "./database";

/**
 * One `build` per database object rather than per request (drizzle spends more CPU building a
 * statement's SQL than SQLite spends running a hot read). The Node server keeps one database
 * object, so it builds once; a Worker makes one per request, so nothing outlives it.
 */
function oncePerDatabase<T>(build: (db: Database) => T): (db: Database) => T {
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

/**
 * preparedOnce's and batchableOnce's `value`: `sql.placeholder` itself, typed to the statement's
 * own names, so that a value misnamed or left out is a type error rather than a throw at run
 * time. Write it out as `Placeholders<…>`: TypeScript infers no `Names` through an alias of one.
 */
export type Placeholders<Names extends string> = <Name extends Names>(
  name: Name,
) => Placeholder<Name>;

/** What a hot read runs of its prepared statement. */
interface Runnable {
  get(values?: Record<string, unknown>): unknown;
  all(values?: Record<string, unknown>): unknown;
}

/** A prepared statement whose values are named as its placeholders are. */
interface PreparedWith<Statement extends Runnable, Names extends string> {
  get(values: Record<Names, unknown>): ReturnType<Statement["get"]>;
  all(values: Record<Names, unknown>): ReturnType<Statement["all"]>;
}

/**
 * A hot read's statement, prepared once per database object. As batchableOnce's, `build` makes
 * its placeholders with `value`, whose written type names them (`value: Placeholders<"loanId">`),
 * and `get` and `all` then take exactly those values: drizzle's own take any record, and a
 * misspelled one throws only when it runs. A prepared query cannot join a `db.batch()`
 * (batchableOnce, below, hands a batch one).
 */
export function preparedOnce<
  Statement extends { prepare(): Runnable },
  Names extends string = never,
>(
  build: (db: Database, value: Placeholders<Names>) => Statement,
): (db: Database) => PreparedWith<ReturnType<Statement["prepare"]>, Names> {
  return oncePerDatabase(
    (db) =>
      build(db, sql.placeholder).prepare() as PreparedWith<ReturnType<Statement["prepare"]>, Names>,
  );
}

/** What drizzle's `db.batch()` reads of a statement: the query `_prepare()` answers. */
interface BatchablePrepared {
  getQuery(): { sql: string; params: unknown[] };
}

/**
 * What batchableOnce hands a batch. `db.batch()` takes it (of an item's type it reads `_` only)
 * and nothing else runs it: awaited on its own it would resolve to itself and run nothing. So its
 * type has no all/get/run/execute, and declares a `then` (none exists at run time) that takes
 * nothing, which makes an `await` of it a type error. `toSQL` is for what reads its query plan.
 */
export interface Batchable<Result> extends RunnableQuery<Result, "sqlite"> {
  then(onlyDbBatchRunsThis: never): never;
  toSQL(): { sql: string; params: unknown[] };
}

/**
 * A write statement for `db.batch()`, built once per database object with placeholders and given
 * each request's values. drizzle's batch takes query builders only (a prepared query cannot join
 * one, drizzle-orm issue 2197) and builds a builder's SQL again for every batch: a quarter of a
 * booking's CPU on the Node server, in a loop (docs/performance.md, round 23). Every driver's
 * batch asks the item for `_prepare()` and reads `getQuery()`, `mapResult()` and, on D1, `stmt`
 * of the answer: here, the one prepared query, its placeholders filled with `values`. A missing
 * value throws (drizzle's `fillPlaceholders`), so a renamed placeholder cannot bind as NULL.
 * `build` makes its placeholders with `value`, whose type it writes out to name them
 * (`(db, value: Placeholders<"key" | "nowMs">) => …`): `values` must then give exactly those.
 * Unwritten, it is `Placeholders<never>` and makes none; one made otherwise (`sql.placeholder`)
 * escapes the check unless its own type names it (customers.ts's CUSTOMER_PLACEHOLDERS).
 */
export function batchableOnce<
  Statement extends RunnableQuery<unknown, "sqlite"> & { prepare(): unknown },
  Names extends string = never,
>(
  build: (db: Database, value: Placeholders<Names>) => Statement,
): (db: Database, values: Record<Names, unknown>) => Batchable<Statement["_"]["result"]> {
  const prepared = oncePerDatabase(
    (db) => build(db, sql.placeholder).prepare() as BatchablePrepared,
  );
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
    } as unknown as Batchable<Statement["_"]["result"]>;
  };
}
