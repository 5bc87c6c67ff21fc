import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

export { schema };

type Schema = typeof schema;

/**
 * A drizzle database over either driver: D1 (`drizzle-orm/d1`) or libSQL (`drizzle-orm/libsql`).
 * The data layer is written against what both share — the SQLite query builders and an atomic
 * `batch` — so it never learns which one it talks to. The run-result type differs between the
 * drivers and nothing here reads it, hence `unknown`.
 */
export type Database = BaseSQLiteDatabase<"async", unknown, Schema> & {
  batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(
    statements: T,
  ): Promise<BatchResponse<T>>;
};
