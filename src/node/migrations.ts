import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@libsql/client";

/*
 * Applies `migrations/` to a libSQL database exactly as `wrangler d1 migrations apply` does to D1:
 * every `*.sql` file in name order, each one once, recorded by file name in `d1_migrations` (the
 * table and columns wrangler uses), so both backends run the same files and a database moved from
 * one to the other knows what it has. drizzle's own libSQL migrator is not used: it follows
 * drizzle-kit's journal rather than the files, and tracks them in a different table.
 */

export interface Migration {
  name: string;
  /** The file cut at drizzle-kit's `--> statement-breakpoint` markers. */
  statements: string[];
}

const MIGRATIONS_TABLE = "d1_migrations";
const BREAKPOINT = "--> statement-breakpoint";

export function readMigrations(directory: string): Migration[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith(".sql"))
    .sort()
    .map((name) => ({
      name,
      statements: readFileSync(join(directory, name), "utf8")
        .split(BREAKPOINT)
        .map((statement) => statement.trim())
        .filter((statement) => statement.length > 0),
    }));
}

/** Applies the migrations not yet recorded, each in its own transaction. Returns their names. */
export async function applyMigrations(client: Client, migrations: Migration[]): Promise<string[]> {
  await client.execute(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE}(
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
  )`);
  const applied = new Set(
    (await client.execute(`SELECT name FROM ${MIGRATIONS_TABLE}`)).rows.map((row) =>
      String(row.name),
    ),
  );
  const pending = migrations.filter((migration) => !applied.has(migration.name));
  for (const migration of pending) {
    // `migrate` runs the batch in one transaction with foreign keys off, which a drizzle-kit
    // table rebuild needs (a PRAGMA inside the file would be ignored inside a transaction). The
    // name is recorded in the same transaction, so a failed file is neither half applied nor
    // marked as applied.
    await client.migrate([
      ...migration.statements,
      { sql: `INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (?)`, args: [migration.name] },
    ]);
  }
  return pending.map((migration) => migration.name);
}
