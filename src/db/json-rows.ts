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
