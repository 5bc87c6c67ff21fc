import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { runScript } from "../node/run-script";
import { overwriteRootPage } from "../support/overwritten-page";

/*
 * `npm run db:backup -- FILE` while the server takes writes: the copy is one consistent file with
 * every write acknowledged before the backup started, and a server started on it serves them.
 * The documented way before, `sqlite3 … ".backup …"`, needs a shell the container image lacks.
 */

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "backup-libsql-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** `npm run db:backup -- …args` with this DATABASE_URL: its exit code and what it printed. */
const backup = (databaseUrl: string, ...args: string[]) =>
  runScript("scripts/backup-libsql.ts", args, { DATABASE_URL: databaseUrl });

const registration = (n: number) =>
  new Request("http://127.0.0.1/register", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      first_name: "Backed",
      last_name: "Up",
      age: 30,
      monthly_income: 50_000,
      phone_number: 7_300_000_000 + n,
    }),
  });

function customersIn(path: string): number {
  const database = new NativeDatabase(path, { readonly: true });
  try {
    return (database.prepare("SELECT count(*) FROM customers").raw(true).get([]) as [number])[0];
  } finally {
    database.close();
  }
}

describe("npm run db:backup", () => {
  it("copies the database while the server writes, and a server starts on the copy", async () => {
    const path = join(directory, "credit.db");
    const url = `file:${path}`;
    const runtime = await openRuntime(
      settingsFromEnv({ DATABASE_URL: url, RATE_LIMIT_PER_MINUTE: "100000" }),
    );
    let acknowledged = 0;
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing || acknowledged < 200; n++) {
        const response = await runtime.fetch(registration(n));
        expect(response.status).toBe(201);
        acknowledged++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      while (acknowledged < 200) await new Promise((resolve) => setTimeout(resolve, 10));
      const before = acknowledged;
      const target = join(directory, "copy.db");
      const result = await backup(url, target);
      const after = acknowledged;
      writing = false;
      await writer;

      expect(result, result.output).toMatchObject({ code: 0 });
      expect(result.output).toMatch(/^backed up .* customers, 0 loans, [\d.]+ MB, integrity ok\n$/);
      expect(existsSync(`${target}-wal`)).toBe(false);
      expect(after).toBeGreaterThan(before); // the server went on writing meanwhile

      // Restored as the docs say (the file alone, at a server's path), it serves what it holds.
      const restoredPath = join(directory, "restored.db");
      await copyFile(target, restoredPath);
      const restored = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${restoredPath}` }));
      try {
        expect((await restored.fetch(new Request("http://127.0.0.1/readyz"))).status).toBe(200);
        expect((await restored.fetch(registration(1_000_000))).status).toBe(201);
      } finally {
        await restored.close();
      }
      const held = customersIn(target);
      expect(held).toBeGreaterThanOrEqual(before);
      expect(held).toBeLessThanOrEqual(after);
      expect(result.output).toContain(` ${held} customers,`);
    } finally {
      writing = false;
      await writer.catch(() => undefined);
      await runtime.close();
    }
  }, 60_000);

  it("refuses to overwrite a file, a missing database, and a database that is not a file", async () => {
    const path = join(directory, "refusals.db");
    const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
    await runtime.close();
    const exists = await backup(`file:${path}`, path);
    expect(exists).toEqual({
      code: 1,
      output: `backup failed: ${path} exists already; name a new file\n`,
    });
    const missing = join(directory, "missing.db");
    expect(await backup(`file:${missing}`, join(directory, "out.db"))).toEqual({
      code: 1,
      output: `backup failed: no database at ${missing}\n`,
    });
    expect(existsSync(missing)).toBe(false);
    const remote = await backup("libsql://credit.example.turso.io", join(directory, "out.db"));
    expect(remote.code).toBe(1);
    expect(remote.output).toMatch(
      /^backup failed: DATABASE_URL is not a database file \(libsql:\)/,
    );
    expect((await backup(`file:${path}`)).output).toMatch(
      /^backup failed: usage: npm run db:backup -- FILE/,
    );
    expect(await backup(`file:${path}`, "")).toEqual({
      code: 1,
      output: expect.stringMatching(/^backup failed: usage: npm run db:backup -- FILE/),
    });
  }, 60_000);

  it("names FILE's folder when FILE is a folder or its folder is missing, not the database", async () => {
    const path = join(directory, "folders.db");
    const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
    await runtime.close();
    // SQLite said "unable to open database: FILE", read as the database being backed up.
    expect(await backup(`file:${path}`, directory)).toEqual({
      code: 1,
      output: `backup failed: ${directory} is a folder; name a new file in it (${join(directory, "credit-backup.db")})\n`,
    });
    const missingFolder = join(directory, "no-such-folder");
    expect(await backup(`file:${path}`, join(missingFolder, "copy.db"))).toEqual({
      code: 1,
      output: `backup failed: the folder ${missingFolder} does not exist (ENOENT); create it, or name a FILE in a folder that exists: no backup was written\n`,
    });
  }, 30_000);

  it("leaves nothing at FILE when the copy is cut short, and the next run writes it", async () => {
    // Large enough that the copy takes about a second, so Ctrl-C lands in the middle of it.
    const path = join(directory, "large.db");
    const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
    await runtime.close();
    const database = new NativeDatabase(path);
    database.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600000)
      INSERT INTO customers (first_name, last_name, age, phone_number, monthly_salary_paise,
        approved_limit_paise)
      SELECT hex(randomblob(40)), hex(randomblob(40)), 30, 6000000000 + i, 1, 1 FROM n`);
    database.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    database.close();

    const target = join(directory, "interrupted.db");
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/backup-libsql.ts", target], {
      cwd: fileURLToPath(new URL("../..", import.meta.url)),
      env: { ...process.env, DATABASE_URL: `file:${path}` },
      stdio: "ignore",
    });
    const exited = once(child, "exit");
    // Until the copy has begun: the old script wrote FILE itself, this one FILE.partial.
    while (!existsSync(target) && !existsSync(`${target}.partial`)) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    child.kill("SIGINT");
    const [code, signal] = (await exited) as [number | null, string | null];
    expect({ code, signal }).toEqual({ code: null, signal: "SIGINT" }); // cut short, not finished
    // What is left could be restored as a backup; with its -journal it opens as an empty database.
    expect(existsSync(target)).toBe(false);

    const again = await backup(`file:${path}`, target);
    expect(again.output).toMatch(
      /^backed up .*: 600000 customers, 0 loans, [\d.]+ MB, integrity ok\n$/,
    );
    expect(existsSync(`${target}.partial`)).toBe(false);
    expect(existsSync(`${target}.partial-journal`)).toBe(false);
    expect(customersIn(target)).toBe(600_000);
  }, 60_000);

  it("writes a relative FILE in the folder npm was run from, and names it in full", async () => {
    const path = join(directory, "relative-source.db");
    const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
    await runtime.close();
    const from = join(directory, "operator");
    await mkdir(from);
    const projectCopy = fileURLToPath(new URL("../../relative-copy.db", import.meta.url));
    try {
      // As `cd …/operator && npm --prefix <project> run db:backup -- relative-copy.db` runs it.
      const result = await runScript("scripts/backup-libsql.ts", ["relative-copy.db"], {
        DATABASE_URL: `file:${path}`,
        INIT_CWD: from,
      });
      expect(result, result.output).toMatchObject({ code: 0 });
      expect(existsSync(join(from, "relative-copy.db"))).toBe(true);
      expect(existsSync(projectCopy)).toBe(false);
      expect(result.output).toContain(` to ${join(from, "relative-copy.db")}: `);
    } finally {
      await rm(projectCopy, { force: true }); // where the script wrote it before
    }
  }, 60_000);

  it("syncs the copy to the disk before naming it FILE, and FILE's folder after, before saying done", async () => {
    // VACUUM INTO syncs only as its connection's synchronous says, and a rename is durable only
    // once its folder is synced:
    // a power cut after "backed up" could leave FILE missing, empty or cut short.
    const { target, log, result } = await backupRecordingSyncs("synced");
    expect(result, result.output).toMatchObject({ code: 0 });
    expect((await readFile(log, "utf8")).split("\n").filter(Boolean)).toEqual([
      `fsync ${target}.partial`,
      `rename ${target}.partial ${target}`,
      `fsync ${directory}`,
    ]);
  }, 60_000);

  // A file system that refuses to sync a folder (SMB/CIFS, some FUSE mounts) got a warning line,
  // then "backed up … integrity ok" as the last line: read alone, it promised a durable copy.
  it("says in its last line that FILE's folder entry was not synced when its file system refused", async () => {
    const { path, target, result } = await backupRecordingSyncs("refused", {
      RECORD_SYNCS_REFUSE_FOLDERS: "EINVAL",
    });
    expect(result, result.output).toMatchObject({ code: 0 });
    expect(existsSync(target)).toBe(true);
    const lines = result.output.trimEnd().split("\n");
    expect(lines.at(-1)).toBe(
      `backed up ${path} to ${target}: 0 customers, 0 loans, ${lines.at(-1)?.match(/([\d.]+) MB/)?.[1]} MB, integrity ok; the copy is written, but its entry in ${directory} was not synced to disk (the file system refused: EINVAL), so a power cut soon after could still lose it`,
    );
  }, 60_000);

  it("names a relative DATABASE_URL's database by its full path in the project's folder", async () => {
    // As `cd …/operator && DATABASE_URL=file:here.db npm --prefix <project> run db:backup -- …`:
    // the database is the project's here.db (as for the server), and the line said only "here.db".
    const from = join(directory, "operator-relative-url");
    await mkdir(from);
    await writeFile(join(from, "here.db"), "");
    const result = await runScript("scripts/backup-libsql.ts", ["copy.db"], {
      DATABASE_URL: "file:here.db",
      INIT_CWD: from,
    });
    const inProject = fileURLToPath(new URL("../../here.db", import.meta.url));
    expect(result).toEqual({
      code: 1,
      output: `backup failed: no database at ${inProject} (a relative DATABASE_URL is read from the project's folder, as the server reads it)\n`,
    });
    expect(existsSync(inProject)).toBe(false);
    expect(existsSync(join(from, "copy.db"))).toBe(false);
  }, 60_000);

  // Another application's database was copied, then the summary's count of customers ended in a
  // stack trace and left FILE.partial; a file with no tables yet did the same.
  it("refuses another application's database and a database never migrated, leaving nothing", async () => {
    const other = join(directory, "notes-app.db");
    const database = new NativeDatabase(other);
    database.exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)");
    database.close();
    const target = join(directory, "notes-backup.db");
    const refused = await backup(`file:${other}`, target);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      /^backup failed: database .*notes-app\.db: is not this product's database: it has tables \(notes\)[^\n]*\n$/,
    );
    const empty = join(directory, "empty.db");
    await writeFile(empty, "");
    const nothing = await backup(`file:${empty}`, target);
    expect(nothing).toEqual({
      code: 1,
      output: `backup failed: database ${empty}: has no tables yet (never migrated): nothing to back up\n`,
    });
    expect(existsSync(target) || existsSync(`${target}.partial`)).toBe(false);
  }, 60_000);

  // A file SQLite calls no database (SQLITE_NOTADB) was "not a SQLite database; DATABASE_URL must
  // name this product's database file", also for this product's database whose header was
  // overwritten, which is restored from a backup.
  it("says a file that is no database may be one whose header was overwritten, and one whose header is overwritten is damaged", async () => {
    const target = join(directory, "notadb-backup.db");
    const workbook = join(directory, "loan_data.xlsx");
    await copyFile(fileURLToPath(new URL("../../data/loan_data.xlsx", import.meta.url)), workbook);
    expect(await backup(`file:${workbook}`, target)).toEqual({
      code: 1,
      output: `backup failed: database ${workbook}: does not read as a SQLite database (SQLITE_NOTADB): it is a file of another kind (a workbook, a text file) or a database whose header was overwritten; nothing was written to it. Point DATABASE_URL at this product's database file; if this is its path, keep the file aside and restore it from a backup (npm run db:backup; docs/operations.md, "A damaged database file")\n`,
    });

    const path = join(directory, "header-overwritten.db");
    const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
    try {
      expect((await runtime.fetch(registration(3_000_000))).status).toBe(201);
    } finally {
      await runtime.close();
    }
    const file = await open(path, "r+");
    await file.write(Buffer.alloc(16, 0xab), 0, 16, 0);
    await file.close();
    expect(await backup(`file:${path}`, target)).toEqual({
      code: 1,
      output: `backup failed: database ${path}: is a SQLite database whose header is damaged (SQLITE_NOTADB: its first 16 bytes are not "SQLite format 3" but the rest of its header is SQLite's); nothing was written to it. If it is this product's database, keep it aside and restore it from a backup (npm run db:backup; docs/operations.md, "A damaged database file"); if it is another, point DATABASE_URL at this product's database file\n`,
    });
    for (const suffix of ["", ".partial"]) {
      expect(existsSync(`${target}${suffix}`), suffix).toBe(false);
    }
  }, 60_000);

  it("lists up to ten of a damaged copy's findings, a line each, and leaves nothing at FILE", async () => {
    const path = await indexesSwapped("swapped.db", 8);
    const target = join(directory, "swapped-backup.db");
    const result = await backup(`file:${path}`, target);
    // Only the first finding was printed: one row missing from one index, of sixteen.
    const missing = (row: number) => [
      `  row ${row} missing from index loans_source_key_idx`,
      `  row ${row} missing from index loans_customer_id_idx`,
    ];
    expect(result).toEqual({
      code: 1,
      output: `${[
        'backup failed: the copy does not pass integrity_check (16 findings; the database it copies is likely damaged too: docs/operations.md, "A damaged database file"):',
        ...[1, 2, 3, 4, 5].flatMap(missing),
        "  … and 6 more",
      ].join("\n")}\n`,
    });
    expect(existsSync(target) || existsSync(`${target}.partial`)).toBe(false);

    const few = await backup(`file:${await indexesSwapped("swapped-few.db", 2)}`, target);
    expect(few.output.split("\n").slice(1)).toEqual([...missing(1), ...missing(2), ""]);
    expect(few.code).toBe(1);
    expect(existsSync(target) || existsSync(`${target}.partial`)).toBe(false);
  }, 60_000);

  // VACUUM INTO stopped at the damaged page and the script printed SQLite's words alone, "backup
  // failed: database disk image is malformed", which named neither the file nor what to do.
  it("says the database is damaged and no backup was written when VACUUM INTO cannot read it", async () => {
    const path = await pageOverwritten("damaged-page.db", "loans");
    const target = join(directory, "damaged-page-backup.db");
    const result = await backup(`file:${path}`, target);
    expect(result).toEqual({
      code: 1,
      output: `backup failed: the database ${path} is damaged (SQLITE_CORRUPT: a part of it cannot be read), so it cannot be copied: no backup was written, and nothing is left at ${target}. Keep the backups you have, and restore the latest to its path (docs/operations.md, "A damaged database file")\n`,
    });
    for (const suffix of ["", ".partial", ".partial-journal", ".partial-wal"]) {
      expect(existsSync(`${target}${suffix}`), suffix).toBe(false);
    }
  }, 60_000);

  // The file changes between the script's checks and its copy, as another process writing over it
  // (a `cp`, a restore) can while the backup runs; a preload makes that moment every run's. The
  // file is a backup as restored, before a server starts on it: in rollback-journal mode, where
  // SQLite reads the file anew at the copy. In WAL mode, the server's, with pages in its -wal, the
  // copy meets a page it cannot read first (SQLITE_CORRUPT: the damaged database's line below).
  it("says the database changed while it was copied when it no longer reads as one, and leaves nothing", async () => {
    const restored = await restoredBackup("overwritten.db");
    const target = join(directory, "overwritten-backup.db");
    const workbook = fileURLToPath(new URL("../../data/loan_data.xlsx", import.meta.url));
    expect(await backupWhileChanged(restored, target, workbook)).toEqual({
      code: 1,
      output: `backup failed: the database ${restored} changed while it was copied (it read as this product's database when the backup began): it no longer reads as a SQLite database (SQLITE_NOTADB). No backup was written, and nothing is left at ${target}. Find what else writes to that path and, once nothing does, run the backup again; if the server no longer opens the file, restore the latest backup to its path (docs/operations.md, "A damaged database file")\n`,
    });
    expectNothingAt(target);
  }, 60_000);

  // The copy of the emptied file was an empty database that passed integrity_check, and the
  // summary's count of customers ended in a stack trace that left FILE.partial.
  it("says the database changed while it was copied when it was emptied, and leaves nothing", async () => {
    const path = await restoredBackup("emptied.db");
    const target = join(directory, "emptied-backup.db");
    expect(await backupWhileChanged(path, target, "")).toEqual({
      code: 1,
      output: `backup failed: the database ${path} changed while it was copied (it read as this product's database when the backup began): the copy lacks this product's tables (customers, loans; the file is 0 bytes now). No backup was written, and nothing is left at ${target}. Find what else writes to that path and, once nothing does, run the backup again; if the server no longer opens the file, restore the latest backup to its path (docs/operations.md, "A damaged database file")\n`,
    });
    expectNothingAt(target);
  }, 60_000);
});

/**
 * A backup of a database a server wrote one customer to, as restored to `name` before a server
 * starts on it (the copy is in rollback-journal mode; a server switches it to WAL).
 */
async function restoredBackup(name: string): Promise<string> {
  const served = join(directory, `served-${name}`);
  const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${served}` }));
  try {
    expect((await runtime.fetch(registration(4_000_000))).status).toBe(201);
  } finally {
    await runtime.close();
  }
  const restored = join(directory, name);
  expect((await backup(`file:${served}`, restored)).code).toBe(0);
  return restored;
}

/** Nothing stands at FILE, nor what the copy writes beside it. */
function expectNothingAt(target: string): void {
  for (const suffix of ["", ".partial", ".partial-journal", ".partial-wal"]) {
    expect(existsSync(`${target}${suffix}`), suffix).toBe(false);
  }
}

/** Records the script's fsyncs and renames (test/node/record-syncs.cjs). */
const RECORD_SYNCS = fileURLToPath(new URL("../node/record-syncs.cjs", import.meta.url));

/** A backup of a new migrated database `<name>-source.db`, its fsyncs and renames recorded. */
async function backupRecordingSyncs(name: string, env: Record<string, string> = {}) {
  const path = join(directory, `${name}-source.db`);
  const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
  await runtime.close();
  const target = join(directory, `${name}-copy.db`);
  const log = join(directory, `${name}-syncs.log`);
  await writeFile(log, "");
  const result = await runScript("scripts/backup-libsql.ts", [target], {
    DATABASE_URL: `file:${path}`,
    NODE_OPTIONS: `--require "${RECORD_SYNCS}"`,
    RECORD_SYNCS_LOG: log,
    ...env,
  });
  return { path, target, log, result };
}
/** The preload that changes the database the moment the script prepares its copy. */
const CHANGE_BEFORE_COPY = fileURLToPath(
  new URL("../node/change-database-before-copy.cjs", import.meta.url),
);

/**
 * `npm run db:backup -- target` of the database at `path`, which is overwritten in place with
 * `changeTo`'s bytes (emptied for "") after the script's checks and before its copy.
 */
function backupWhileChanged(path: string, target: string, changeTo: string) {
  return runScript("scripts/backup-libsql.ts", [target], {
    DATABASE_URL: `file:${path}`,
    NODE_OPTIONS: `--require "${CHANGE_BEFORE_COPY}"`,
    CHANGE_DATABASE_PATH: path,
    CHANGE_DATABASE_TO: changeTo,
  });
}

/**
 * A database of this product (one customer) whose `table`'s root page is overwritten, as a disk
 * or a hand can: its schema reads, so the script opens it, but no statement can read the table.
 */
async function pageOverwritten(name: string, table: string): Promise<string> {
  const path = join(directory, name);
  const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
  try {
    expect((await runtime.fetch(registration(2_000_000))).status).toBe(201);
  } finally {
    await runtime.close();
  }
  await overwriteRootPage(path, table);
  return path;
}

/**
 * A database of this product with `loans` loans whose two indexes hold each other's entries (their
 * root pages swapped in the schema, as a file edited by hand can be): every page reads, and
 * `PRAGMA quick_check` (the server's start) passes, but each loan is missing from both indexes.
 * `VACUUM INTO` copies an index's entries as they are, so the copy carries the damage.
 */
async function indexesSwapped(name: string, loans: number): Promise<string> {
  const path = join(directory, name);
  const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${path}` }));
  await runtime.close();
  const database = new NativeDatabase(path);
  try {
    database.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${loans})
      INSERT INTO customers (first_name, last_name, age, phone_number, monthly_salary_paise,
        approved_limit_paise)
      SELECT 'Index', 'Swapped', 30, 6100000000 + i, 5000000, 180000000 FROM n`);
    database.exec(`INSERT INTO loans (customer_id, loan_amount_paise, tenure, interest_rate_bp,
        monthly_payment_paise, start_date, end_date)
      SELECT id, 10000000, 12, 1400, 900000, '2026-01-01', '2027-01-01' FROM customers`);
    const root = (index: string) =>
      (
        database
          .prepare("SELECT rootpage FROM sqlite_schema WHERE name = ?")
          .raw(true)
          .get([index]) as [number]
      )[0];
    const [byCustomer, bySource] = [root("loans_customer_id_idx"), root("loans_source_key_idx")];
    database.exec("PRAGMA writable_schema = ON");
    const setRoot = database.prepare("UPDATE sqlite_schema SET rootpage = ? WHERE name = ?");
    setRoot.run([bySource, "loans_customer_id_idx"]);
    setRoot.run([byCustomer, "loans_source_key_idx"]);
    database.exec("PRAGMA writable_schema = OFF");
    database.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    database.close();
  }
  const check = new NativeDatabase(path, { readonly: true });
  try {
    expect(check.prepare("PRAGMA quick_check").raw(true).all([])).toEqual([["ok"]]);
  } finally {
    check.close();
  }
  return path;
}
