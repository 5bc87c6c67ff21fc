import NativeDatabase from "libsql";
import { openMigratedLibsql } from "../support/migrated-libsql";

/** A migration this release does not have, as a newer release would record it. */
export const NEWER_MIGRATION = "9999_customer_kyc_reference.sql";

/**
 * A new database at `path` as a newer release leaves it: this release's migrations, then one more
 * that adds a NOT NULL column without a default to `customers` (which this release inserts into),
 * recorded in `d1_migrations`. SQLite allows that column on an empty table.
 */
export async function createNewerDatabase(path: string): Promise<void> {
  const migrated = await openMigratedLibsql(`file:${path}`);
  migrated.close();
  const database = new NativeDatabase(path);
  try {
    database.exec(`ALTER TABLE customers ADD COLUMN kyc_reference text NOT NULL;
      INSERT INTO d1_migrations (name) VALUES ('${NEWER_MIGRATION}');`);
    // Into the file itself, so that a copy of the file alone carries it.
    database.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    database.close();
  }
}
