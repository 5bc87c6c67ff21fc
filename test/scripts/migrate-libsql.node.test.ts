import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import NativeDatabase from "libsql";
import { describe, expect, it } from "vitest";
import { createNewerDatabase, NEWER_MIGRATION } from "../node/newer-database";
import { startRefusingDatabaseHost } from "../node/refusing-database-host";
import { runScript } from "../node/run-script";

/** `npm run db:migrate:libsql` with this DATABASE_URL: its exit code and what it printed. */
const migrate = (databaseUrl: string, authToken = "") =>
  runScript("scripts/migrate-libsql.ts", [], {
    DATABASE_URL: databaseUrl,
    DATABASE_AUTH_TOKEN: authToken,
  });

describe("npm run db:migrate:libsql", () => {
  it("migrates the database file DATABASE_URL names", async () => {
    const directory = await mkdtemp(join(tmpdir(), "migrate-libsql-"));
    try {
      const url = `file:${join(directory, "credit.db")}`;
      const first = await migrate(url);
      expect(first, first.output).toMatchObject({ code: 0 });
      expect(first.output).toMatch(/^Applied: 0000_init.sql, 0001_/);
      expect(await migrate(url)).toEqual({ code: 0, output: "No migrations to apply.\n" });
      const database = createClient({ url });
      const tables = await database.execute("SELECT name FROM sqlite_master WHERE name = 'loans'");
      database.close();
      expect(tables.rows).toHaveLength(1);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);

  // Another application's database got d1_migrations and WAL, then a stack trace (or, sharing no
  // table name, this product's whole schema); a workbook was a stack trace.
  it("writes nothing into a file that is not this product's database, and says so in one line", async () => {
    const directory = await mkdtemp(join(tmpdir(), "migrate-libsql-"));
    try {
      const other = join(directory, "notes-app.db");
      const database = new NativeDatabase(other);
      database.exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)");
      database.close();
      const before = await readFile(other);
      const refused = await migrate(`file:${other}`);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(
        /^Migration failed: database .*notes-app\.db: is not this product's database: it has tables \(notes\)[^\n]*\n$/,
      );
      expect((await readFile(other)).equals(before)).toBe(true);
      expect(existsSync(`${other}-wal`)).toBe(false);

      const workbook = join(directory, "loan_data.xlsx");
      await copyFile(
        fileURLToPath(new URL("../../data/loan_data.xlsx", import.meta.url)),
        workbook,
      );
      const notDatabase = await migrate(`file:${workbook}`);
      expect(notDatabase.code).toBe(1);
      expect(notDatabase.output).toMatch(
        /^Migration failed: database .*loan_data\.xlsx: does not read as a SQLite database \(SQLITE_NOTADB\): it is a file of another kind \(a workbook, a text file\) or a database whose header was overwritten;[^\n]* restore it from a backup [^\n]*\n$/,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);

  // It said "No migrations to apply." and exited 0, as if the database were this release's.
  it("refuses a database a newer release migrated, naming the migration this release lacks", async () => {
    const directory = await mkdtemp(join(tmpdir(), "migrate-libsql-"));
    try {
      const newer = join(directory, "newer.db");
      await createNewerDatabase(newer);
      const before = await readFile(newer);
      const refused = await migrate(`file:${newer}`);
      expect(refused).toEqual({
        code: 1,
        output: `Migration failed: database ${newer}: was migrated by a newer release (${NEWER_MIGRATION}: not among this release's migrations); nothing was written to it. Run the newer release, or restore the backup taken before upgrading (docs/databases.md, "Upgrading")\n`,
      });
      expect((await readFile(newer)).equals(before)).toBe(true);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);

  // It read DATABASE_URL raw: `file:` alone (an unset variable) migrated a database in memory.
  it("takes no arguments, and touches no database when given one", async () => {
    const directory = await mkdtemp(join(tmpdir(), "migrate-libsql-"));
    try {
      const path = join(directory, "credit.db");
      // `-- --help` was ignored: the database at DATABASE_URL was created and migrated.
      expect(
        await runScript("scripts/migrate-libsql.ts", ["--help"], { DATABASE_URL: `file:${path}` }),
      ).toEqual({
        code: 1,
        output:
          "Migration failed: Unknown option '--help'; usage: DATABASE_URL=<url> npm run db:migrate:libsql (no arguments; DATABASE_AUTH_TOKEN for Turso)\n",
      });
      expect(existsSync(path)).toBe(false);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);

  it("refuses a file: URL that names no file, as the server does", async () => {
    const { code, output } = await migrate("file:");
    expect(code).toBe(1);
    expect(output).toMatch(/^DATABASE_URL must name a database file/);
  }, 60_000);

  // It said "did not answer (SERVER_ERROR: Server returned HTTP status 401: …)", as for an outage.
  it("says a remote database refused the token, naming DATABASE_AUTH_TOKEN and not the token", async () => {
    const host = await startRefusingDatabaseHost(401, "Unauthorized: `The JWT is expired`");
    try {
      const { code, output } = await migrate(host.url, "eyJhbGciOiJFZERTQSJ9.secret-part.sig");
      expect({ code, output }).toEqual({
        code: 1,
        output: `Migration failed: database ${host.host}: refused the credentials (HTTP 401): DATABASE_AUTH_TOKEN is wrong, expired or another database's; set it to a token for this database (Turso: turso db tokens create <database>)\n`,
      });
      expect(host.seen()).toEqual(["POST /v2/pipeline bearer"]);
    } finally {
      await host.close();
    }
  }, 60_000);
});
