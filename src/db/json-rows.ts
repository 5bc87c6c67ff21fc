import { getTableColumns, type InferSelectModel, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * A table's rows packed into JSON by SQLite and unpacked into the records a plain select returns.
 * Why: the native libSQL driver spends about 2 µs turning each row into JavaScript, and more for
 * each value; SQLite builds the JSON text for far less, and `JSON.parse` reads it faster still
 * (docs/performance.md, "Lean request path"). D1 has the same JSON functions.
 * Exact for text and for integers up to 2^53, which is all these tables hold (the drivers hand
 * integers over as JavaScript numbers too); a REAL would come back with 15 significant digits,
 * and a BLOB cannot be packed at all.
 */
export interface JsonRows<T extends SQLiteTable> {
  /** One row of the table (under `alias`) as a JSON array of its values, in column order. */
  array(alias: string): SQL<string>;
  /** The record of one such array. */
  decode(values: unknown[]): InferSelectModel<T>;
  /** The records of a JSON array of such arrays (`json_group_array`), in the text's order. */
  decodeAll(text: string): InferSelectModel<T>[];
}

export function jsonRows<T extends SQLiteTable>(table: T): JsonRows<T> {
  const columns = Object.entries(getTableColumns(table));
  const decode = (values: unknown[]) => {
    const record: Record<string, unknown> = {};
    for (let index = 0; index < columns.length; index++) {
      const [key, column] = columns[index] as (typeof columns)[number];
      const value = values[index] ?? null;
      // As drizzle maps a selected row: NULL stays null, anything else goes through the column.
      record[key] = value === null ? null : column.mapFromDriverValue(value);
    }
    return record as InferSelectModel<T>;
  };
  return {
    array: (alias) =>
      sql<string>`json_array(${sql.join(
        columns.map(([, column]) => sql`${sql.identifier(alias)}.${sql.identifier(column.name)}`),
        sql`, `,
      )})`,
    decode,
    decodeAll: (text) => (JSON.parse(text) as unknown[][]).map(decode),
  };
}

/*
 * The other direction: many values bound as one JSON text and read back by SQLite's `json_each`,
 * so a list or a chunk of rows costs one bound parameter (D1 allows 100 a statement) and one
 * statement, and the drivers bind one string instead of a value each (docs/performance.md,
 * "Ingest at scale").
 */

/** `(select value from json_each(?))`: a list to test membership in, `x in (…)`. */
export function jsonList(values: readonly (number | string)[]): SQL {
  return sql`(select value from json_each(${JSON.stringify(values)}))`;
}

/** Element `index` of the JSON array row that `jsonArraysSelect` is reading. */
export function element(index: number): SQL {
  return sql.raw(`value ->> ${index}`);
}

/**
 * The `select` of an `insert … select` that writes one row per JSON array of `rows`, in their
 * order. `expressions` gives every column of `table` its value (usually an `element`); the
 * select lists them in the table's order, the order in which drizzle's `insert … select` names
 * the columns. `where true` keeps SQLite from reading a following `on conflict` as a join's `on`.
 */
export function jsonArraysSelect<T extends SQLiteTable>(
  table: T,
  rows: readonly unknown[][],
  expressions: Record<keyof T["_"]["columns"], SQL>,
): SQL {
  const keys = Object.keys(getTableColumns(table)) as (keyof T["_"]["columns"])[];
  return sql`select ${sql.join(
    keys.map((key) => expressions[key]),
    sql`, `,
  )} from json_each(${JSON.stringify(rows)}) where true order by key`;
}
