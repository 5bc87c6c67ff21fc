import type { Database } from "./database";

/**
 * A hot read's statement, built once per database object rather than per request (drizzle spends
 * more CPU building a select's SQL than SQLite spends running it). The Node server keeps one
 * database object, so it builds once; a Worker makes one per request, so nothing outlives it.
 * A prepared query cannot join a `db.batch()`: a hot read that needs two tables is one statement.
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
