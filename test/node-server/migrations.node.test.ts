import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDecision } from "../../src/db/decisions";
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

interface OlderDatabase {
  database: LibsqlDatabase;
  /** The migrations from `migration` on, by name: what `upgrade` applies. */
  pending: string[];
  /** Applies the rest of the migrations, as the release that brings them does at start. */
  upgrade: () => Promise<string[]>;
  /** Every row of a query, as plain objects. */
  read: (sql: string) => Promise<Record<string, unknown>[]>;
}

/**
 * A scratch database migrated up to `migration`, not including it, for a test to write rows as
 * the releases before it did and then upgrade; closed after the test.
 */
async function onDatabaseBefore(migration: string, test: (older: OlderDatabase) => Promise<void>) {
  const migrations = readMigrations(MIGRATIONS_DIR);
  const before = migrations.findIndex((m) => m.name === migration);
  const database = await openLibsqlDatabase(`file:${join(directory, `before-${migration}.db`)}`);
  try {
    await applyMigrations(database.client, migrations.slice(0, before));
    await test({
      database,
      pending: migrations.slice(before).map((m) => m.name),
      upgrade: () => applyMigrations(database.client, migrations),
      read: async (sql) => (await database.client.execute(sql)).rows.map((row) => ({ ...row })),
    });
  } finally {
    database.close();
  }
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

  it("keeps the rejections and remaps recorded before 0006 keyed them by seq, under seq -1", async () => {
    await onDatabaseBefore(
      "0006_ingest_row_seq.sql",
      async ({ database, pending, upgrade, read }) => {
        await database.client.batch([
          "INSERT INTO ingest_rejections (job_id, kind, row, column, reason, customer_id) VALUES ('job-old', 'loans', 7, 'customer_id', 'UNKNOWN_CUSTOMER', 42)",
          "INSERT INTO ingest_remaps (job_id, row, customer_id, source_loan_id, loan_id) VALUES ('job-old', 9, 42, 1001, 5001)",
        ]);
        expect(await upgrade()).toEqual(pending);
        expect(
          await read(
            "SELECT job_id, kind, row, seq, column, reason, customer_id FROM ingest_rejections",
          ),
        ).toEqual([
          {
            job_id: "job-old",
            kind: "loans",
            row: 7,
            seq: -1,
            column: "customer_id",
            reason: "UNKNOWN_CUSTOMER",
            customer_id: 42,
          },
        ]);
        expect(
          await read(
            "SELECT job_id, row, seq, customer_id, source_loan_id, loan_id FROM ingest_remaps",
          ),
        ).toEqual([
          {
            job_id: "job-old",
            row: 9,
            seq: -1,
            customer_id: 42,
            source_loan_id: 1001,
            loan_id: 5001,
          },
        ]);
        // The same row number again, now in chunk 3: a row of its own.
        await database.client.execute(
          "INSERT INTO ingest_rejections (job_id, kind, row, seq, column, reason) VALUES ('job-old', 'loans', 7, 3, 'age', 'must be at least 18')",
        );
        expect(await read("SELECT seq FROM ingest_rejections ORDER BY seq")).toEqual([
          { seq: -1 },
          { seq: 3 },
        ]);
      },
    );
  });

  it("keeps each decision's inputs stored before 0009 in its record, read back unchanged", async () => {
    await onDatabaseBefore(
      "0009_decision_inputs_shared.sql",
      async ({ database, upgrade, read }) => {
        const inputs =
          '{"borrower": {"monthlySalaryPaise": 5000000, "approvedLimitPaise": 180000000},\n "loans": []}';
        await database.client.batch([
          "INSERT INTO customers (id, first_name, last_name, age, phone_number, monthly_salary_paise, approved_limit_paise) VALUES (42, 'A', 'B', 30, 9000000042, 5000000, 180000000)",
          `INSERT INTO decision_records (seq, id, customer_id, created_at, as_of_date, model_version, approved, credit_score, interest_rate_bp, monthly_instalment_paise, message, request, inputs, score_breakdown, reasons) VALUES (7, 'd-old', 42, '2026-11-01T00:00:00.000Z', '2026-11-01', '2026-11.4', 0, 50, 1400, 1, 'Refused', '{"loanAmountPaise":1,"interestRateBp":1400,"tenure":12}', '${inputs}', '[]', '[]')`,
        ]);
        await upgrade();

        // Nothing moved or rewritten: the record keeps its copy, and has no key.
        expect(await read("SELECT seq, inputs, inputs_digest FROM decision_records")).toEqual([
          { seq: 7, inputs, inputs_digest: null },
        ]);
        expect(await read("SELECT COUNT(*) AS n FROM decision_inputs")).toEqual([{ n: 0 }]);
        const decision = await loadDecision(database.db, "d-old");
        expect(decision?.inputs).toEqual(JSON.parse(inputs));
      },
    );
  });

  it("lets two processes that start at once on an older database both apply its migrations", async () => {
    // Two servers (or the server and `npm run db:migrate:libsql`) starting together both read the
    // same pending list; the second used to run a migration the first had just committed, and
    // stopped with "table `payments` already exists".
    const migrations = readMigrations(MIGRATIONS_DIR);
    const path = join(directory, "two-at-once.db");
    const first = await openLibsqlDatabase(`file:${path}`);
    const second = await openLibsqlDatabase(`file:${path}`);
    try {
      await applyMigrations(first.client, migrations.slice(0, 3));
      // Both settled before the connections close (a close under a running batch aborts Node).
      const [one, other] = await Promise.allSettled([
        applyMigrations(first.client, migrations),
        applyMigrations(second.client, migrations),
      ]);
      const failures = [one, other].flatMap((outcome) =>
        outcome.status === "rejected" ? [String(outcome.reason)] : [],
      );
      expect(failures).toEqual([]);
      // Each pending file was applied by one of them, once.
      const applied = [one, other].flatMap((outcome) =>
        outcome.status === "fulfilled" ? outcome.value : [],
      );
      expect(applied.sort()).toEqual(EXPECTED_MIGRATIONS.slice(3));
      expect(
        (await first.client.execute("SELECT name FROM d1_migrations ORDER BY id")).rows.map((row) =>
          String(row.name),
        ),
      ).toEqual(EXPECTED_MIGRATIONS);
    } finally {
      first.close();
      second.close();
    }
  });

  it("waits for another process's write lock past the busy timeout, as during its long migration", async () => {
    // 0003's backfill took 6.1 s on a copy of 1,000,000 loans, past the 5 s busy timeout: a
    // second server starting meanwhile stopped with SQLITE_BUSY and a stack trace.
    const migrations = readMigrations(MIGRATIONS_DIR);
    const path = join(directory, "locked.db");
    const starting = await openLibsqlDatabase(`file:${path}`, undefined, { busyTimeoutMs: 100 });
    const holder = new NativeDatabase(path);
    try {
      await applyMigrations(starting.client, migrations.slice(0, 3));
      holder.exec("BEGIN IMMEDIATE");
      const release = setTimeout(() => holder.exec("COMMIT"), 600);
      const applied = await applyMigrations(starting.client, migrations).finally(() =>
        clearTimeout(release),
      );
      expect(applied).toEqual(EXPECTED_MIGRATIONS.slice(3));
    } finally {
      if (holder.inTransaction) holder.exec("ROLLBACK");
      holder.close();
      starting.close();
    }
  });

  it("applies a migration whose write met a lock taken after its wait found it free", async () => {
    // Another process took the lock between this one's check and its first write, and held it past
    // the busy timeout (its own long migration): the migration failed with SQLITE_BUSY.
    const migrations = readMigrations(MIGRATIONS_DIR);
    const path = join(directory, "raced.db");
    // NORMAL, not SQLite's default (FULL), so that a reconnect that drops it shows.
    const starting = await openLibsqlDatabase(`file:${path}`, undefined, {
      busyTimeoutMs: 100,
      synchronous: "normal",
    });
    const holder = new NativeDatabase(path);
    let release: ReturnType<typeof setTimeout> | undefined;
    const { client } = starting;
    // The other process begins right after the wait's check, once, and commits 600 ms later.
    const raced = new Proxy(client, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== "executeMultiple")
          return typeof value === "function" ? value.bind(target) : value;
        return async (sql: string) => {
          await target.executeMultiple(sql);
          if (release !== undefined) return;
          holder.exec("BEGIN IMMEDIATE");
          release = setTimeout(() => holder.exec("COMMIT"), 600);
        };
      },
    });
    try {
      await applyMigrations(client, migrations.slice(0, 3));
      const applied = await applyMigrations(raced, migrations);
      expect(release).toBeDefined();
      expect(applied).toEqual(EXPECTED_MIGRATIONS.slice(3));
      // The refused write's connection was replaced; the new one kept the setting.
      expect((await client.execute("PRAGMA synchronous")).rows[0]?.[0]).toBe(1);
    } finally {
      clearTimeout(release);
      if (holder.inTransaction) holder.exec("ROLLBACK");
      holder.close();
      starting.close();
    }
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
    expect(await pragma("synchronous")).toBe(2); // FULL: DATABASE_SYNCHRONOUS's default
    expect(await pragma("busy_timeout")).toBe(5_000);
  });
});
