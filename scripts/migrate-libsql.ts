/**
 * `npm run db:migrate:libsql`: applies `migrations/` to the libSQL database at DATABASE_URL
 * (with DATABASE_AUTH_TOKEN for Turso), tracked the way wrangler tracks D1. Run it before
 * deploying a Worker that uses Turso; the Node server also does this at every start.
 */
import { openLibsqlDatabase } from "../src/node/database";
import { DatabaseOpenError } from "../src/node/database-open";
import { applyMigrations, readMigrations } from "../src/node/migrations";
import { MIGRATIONS_DIR } from "../src/node/runtime";
import { argsOrExit } from "./lib/command-line";
import { serverSettingsOrExit } from "./lib/server-settings";

// It takes no arguments: `-- --help` used to be ignored, and migrated (or created) the database.
argsOrExit(
  { strict: true },
  "Migration failed: ",
  "usage: DATABASE_URL=<url> npm run db:migrate:libsql (no arguments; DATABASE_AUTH_TOKEN for Turso)",
);
// The server's own reading of DATABASE_URL: `file:` alone would migrate a database in memory.
const settings = serverSettingsOrExit(process.env);
const { client, close } = await openLibsqlDatabase(
  settings.databaseUrl,
  settings.databaseAuthToken,
  { confirmWritable: true, synchronous: settings.databaseSynchronous },
).catch((error: unknown) => {
  // A file that is no database, another application's, read-only, a host that does not answer:
  // one line naming it, as the server prints at start.
  if (!(error instanceof DatabaseOpenError)) throw error;
  console.error(`Migration failed: ${error.message}`);
  process.exit(1);
});
try {
  const applied = await applyMigrations(client, readMigrations(MIGRATIONS_DIR));
  console.log(applied.length === 0 ? "No migrations to apply." : `Applied: ${applied.join(", ")}`);
} catch (error) {
  // The SQLite error names the statement's problem; it carries no credentials.
  console.error(`Migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  close();
}
