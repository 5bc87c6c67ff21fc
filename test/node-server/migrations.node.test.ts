import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPECTED_MIGRATIONS } from "../../src/db/migration-names";
import { type LibsqlDatabase, openLibsqlDatabase } from "../../src/node/database";
import { applyMigrations, readMigrations } from "../../src/node/migrations";
import { MIGRATIONS_DIR } from "../../src/node/runtime";

/*
 * `migrations/` applied to libSQL the way wrangler applies it to D1. EXPECTED_MIGRATIONS is the
 * hand-written list (checked against the folder in test/db/migration-names.node.test.ts), so
 * readMigrations and applyMigrations are still compared with names they did not produce.
 */

let directory: string;
let database: LibsqlDatabase;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "migrations-"));
  database = await openLibsqlDatabase(`file:${join(directory, "m.db")}`);
});
afterAll(async () => {
  database.close();
  await rm(directory, { recursive: true, force: true });
});

async function names(sql: string): Promise<string[]> {
  return (await database.client.execute(sql)).rows.map((row) => String(row[0]));
}

describe("libSQL migrations", () => {
  it("reads every .sql file in name order, cut at drizzle-kit's breakpoints", () => {
    const migrations = readMigrations(MIGRATIONS_DIR);
    expect(migrations.map((m) => m.name)).toEqual(EXPECTED_MIGRATIONS);
    for (const migration of migrations) {
      for (const statement of migration.statements) {
        expect(statement).not.toContain("statement-breakpoint");
        expect(statement.trim()).not.toBe("");
      }
    }
  });

  it("applies them once, recorded by file name in wrangler's d1_migrations table", async () => {
    const migrations = readMigrations(MIGRATIONS_DIR);
    expect(await applyMigrations(database.client, migrations)).toEqual(EXPECTED_MIGRATIONS);
    expect(await applyMigrations(database.client, migrations)).toEqual([]);
    expect(await names("SELECT name FROM d1_migrations ORDER BY id")).toEqual(EXPECTED_MIGRATIONS);
    expect(
      await names("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
    ).toEqual(
      expect.arrayContaining([
        "customers",
        "loans",
        "idempotency_keys",
        "ingest_chunks",
        "decision_records",
      ]),
    );
  });

  it("rolls a failing migration back whole and does not record it", async () => {
    const broken = {
      name: "9999_broken.sql",
      statements: ["CREATE TABLE half_done (id integer)", "THIS IS NOT SQL"],
    };
    await expect(applyMigrations(database.client, [broken])).rejects.toThrow();
    expect(await names("SELECT name FROM sqlite_master WHERE name = 'half_done'")).toEqual([]);
    expect(await names("SELECT name FROM d1_migrations WHERE name = '9999_broken.sql'")).toEqual(
      [],
    );
  });

  it("runs the file database in WAL mode with foreign keys on", async () => {
    const pragma = async (name: string) =>
      (await database.client.execute(`PRAGMA ${name}`)).rows[0]?.[0];
    expect(await pragma("journal_mode")).toBe("wal");
    expect(await pragma("foreign_keys")).toBe(1);
    expect(await pragma("synchronous")).toBe(1); // NORMAL
    expect(await pragma("busy_timeout")).toBe(5_000);
  });
});
