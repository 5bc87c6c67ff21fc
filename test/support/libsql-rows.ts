import type { ResultSet } from "@libsql/client";

/** A libSQL result's rows as plain objects, as D1 returns them (libSQL rows also carry positional keys). */
export function plainRows<T>(result: ResultSet): T[] {
  return result.rows.map(
    (row) => Object.fromEntries(result.columns.map((column, i) => [column, row[i]])) as T,
  );
}
