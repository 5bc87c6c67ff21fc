import { inArray, lt } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "./database";

/**
 * Deletes up to `limit` rows whose `age` is below `before`, oldest first (through the index on
 * `age`), in one statement of two bound values; returns their keys. Scheduled maintenance
 * (src/db/maintenance.ts) sweeps with it, a bounded batch at a time, never a request.
 */
export function deleteOldestBefore(
  db: Database,
  table: SQLiteTable,
  columns: { key: SQLiteColumn; age: SQLiteColumn },
  before: number | string,
  limit: number,
) {
  const oldest = oldestBefore(db, table, columns, before, limit);
  return db.delete(table).where(inArray(columns.key, oldest)).returning({ key: columns.key });
}

/** The keys of up to `limit` rows whose `age` is below `before`, oldest first: a subquery. */
export function oldestBefore(
  db: Database,
  table: SQLiteTable,
  columns: { key: SQLiteColumn; age: SQLiteColumn },
  before: number | string,
  limit: number,
) {
  return db
    .select({ key: columns.key })
    .from(table)
    .where(lt(columns.age, before))
    .orderBy(columns.age)
    .limit(limit);
}
