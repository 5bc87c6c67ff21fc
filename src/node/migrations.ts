import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import { log } from "../lib/log";
import { isBusy } from "./write-lock-line";

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

/**
 * Applies the migrations not yet recorded, each in its own transaction. Returns the names this
 * call applied: another process starting on the same database at the same moment (a second
 * server, `npm run db:migrate:libsql`) may apply some of them, each file still once.
 */
export async function applyMigrations(client: Client, migrations: Migration[]): Promise<string[]> {
  await client.execute(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE}(
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
  )`);
  const recorded = await recordedMigrations(client);
  const applied: string[] = [];
  for (const migration of migrations.filter(({ name }) => !recorded.has(name))) {
    if (await applyOnce(client, migration)) applied.push(migration.name);
  }
  return applied;
}

/** How often a migration waiting for another process's write lock asks for it again. */
const LOCK_RETRY_MS = 250;

/**
 * Applies one migration unless another process (a second server starting, `npm run
 * db:migrate:libsql`) committed it first; true when this call applied it. The wait only says the
 * lock was free a moment ago: another process may take it before this one's first write, and hold
 * it past the busy timeout (its own long migration). A file refused for the lock is then read for
 * again and, still pending, waited for and tried again, for as long as the lock is held.
 */
async function applyOnce(client: Client, migration: Migration): Promise<boolean> {
  for (;;) {
    await waitForWriteLock(client, migration.name);
    try {
      // `migrate` runs the batch in one transaction with foreign keys off, which a drizzle-kit
      // table rebuild needs (a PRAGMA inside the file would be ignored inside a transaction). The
      // name is recorded first, in the same transaction: a failed file is neither half applied
      // nor marked as applied.
      await client.migrate([
        { sql: `INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES (?)`, args: [migration.name] },
        ...migration.statements,
      ]);
      return true;
    } catch (error) {
      // Another process read the same pending list and committed this file first (the record's
      // unique name refused ours): it is applied, once.
      if ((await recordedMigrations(client)).has(migration.name)) return false;
      if (!isBusy(error)) throw new MigrationFailedError(migration.name, error);
      // The refused write stays in progress on its connection and would keep every later COMMIT
      // from ending ("SQL statements in progress"): new connections, then wait and try again. A
      // file client's reconnect sets its pragmas (synchronous) on them again (database.ts).
      await client.reconnect();
    }
  }
}

/** A migration file the database refused: rolled back whole, those before it stay applied. */
export class MigrationFailedError extends Error {
  override name = "MigrationFailedError";

  constructor(
    readonly migration: string,
    /** The engine's error, which the start reads for a full disk or a file-size limit. */
    override readonly cause: unknown,
  ) {
    super(
      `migration ${migration} failed (${engineWords(cause)}); nothing of it was applied, and the migrations before it stay applied`,
    );
  }
}

/** The engine's code and its own message, without the client's repetitions of the code. */
function engineWords(error: unknown): string {
  const { code, cause, message } = error as { code?: unknown; cause?: unknown; message?: unknown };
  const said = cause instanceof Error ? cause.message : String(message ?? error);
  return typeof code === "string" ? `${code}: ${said.replace(/^(SQLITE_\w+: )+/, "")}` : said;
}

/**
 * Waits while another process holds the write lock, for longer than the busy timeout if need be:
 * a second server starting meanwhile migrates (0003's backfill took 6.1 s on 1,000,000 loans).
 * A write refused with SQLITE_BUSY stays in progress on its connection and blocks its next commits
 * (docs/databases.md, "Busy database"), so the lock is asked for by a BEGIN IMMEDIATE run as a
 * script (sqlite3_exec, which finalizes what it ran), and given back at once.
 */
async function waitForWriteLock(client: Client, migration: string): Promise<void> {
  for (let said = false; ; ) {
    try {
      await client.executeMultiple("BEGIN IMMEDIATE; ROLLBACK");
      return;
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (!said) {
        log("warn", "waiting for another process's write lock to apply a migration", { migration });
        said = true;
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  }
}

async function recordedMigrations(client: Client): Promise<Set<string>> {
  const { rows } = await client.execute(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  return new Set(rows.map((row) => String(row.name)));
}
