import { type LibsqlDatabase, openLibsqlDatabase } from "../../src/node/database";
import { applyMigrations, readMigrations } from "../../src/node/migrations";
import { MIGRATIONS_DIR } from "../../src/node/runtime";

/** A libSQL database as the Node server opens it, with the project's migrations applied. */
export async function openMigratedLibsql(url: string): Promise<LibsqlDatabase> {
  const database = await openLibsqlDatabase(url);
  await applyMigrations(database.client, readMigrations(MIGRATIONS_DIR));
  return database;
}

/**
 * The database file at `path` migrated up to `migration`, not including it, and closed: as the
 * releases before it left it, for a test to write rows into and then start on.
 */
export async function migrateFileUpTo(path: string, migration: string): Promise<void> {
  const migrations = readMigrations(MIGRATIONS_DIR);
  const older = await openLibsqlDatabase(`file:${path}`);
  try {
    await applyMigrations(
      older.client,
      migrations.slice(
        0,
        migrations.findIndex((m) => m.name === migration),
      ),
    );
  } finally {
    older.close();
  }
}

/** An idempotency record, live for a minute, for tests that write one directly. */
export function storedResponse(key: string) {
  return {
    key,
    requestHash: "h",
    responseStatus: 200,
    responseBody: "{}",
    expiresAt: Date.now() + 60_000,
  };
}
