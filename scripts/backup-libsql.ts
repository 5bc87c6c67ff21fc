/**
 * `npm run db:backup -- FILE`: a consistent copy of the Node server's database file (DATABASE_URL)
 * into FILE, safe while the server runs: `VACUUM INTO` reads one snapshot, in WAL mode writers
 * carry on meanwhile, and the copy is one self-contained file (no -wal beside it), checked with
 * `PRAGMA integrity_check` before it is renamed to FILE and the script says it is done. It needs
 * nothing but this project, so it works where the `sqlite3` shell is not installed (the documented
 * container image).
 */
import { accessSync, constants, existsSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import NativeDatabase from "libsql";
import { databaseDamage, whatDamageMeans } from "../src/db/errors";
import { filePath } from "../src/node/database";
import {
  checkFindings,
  confirmOwnDatabase,
  DatabaseOpenError,
  fileOpenError,
  walBytes,
} from "../src/node/database-open";
import { syncFolder, syncToDisk } from "../src/node/sync-to-disk";
import { argsOrExit, callerPath } from "./lib/command-line";
import { serverSettingsOrExit } from "./lib/server-settings";

/** As long as a write waits for another process's lock: the copy needs only a read snapshot. */
const BUSY_TIMEOUT_MS = 5_000;
/** How many of a damaged copy's findings are printed, a line each. */
const SHOWN_FINDINGS = 10;
/** SQLite's default: integrity_check stops after this many findings. */
const INTEGRITY_CHECK_LIMIT = 100;

function fail(message: string): never {
  console.error(`backup failed: ${message}`);
  process.exit(1);
}

const USAGE = "usage: npm run db:backup -- FILE (the copy to write; it must not exist yet)";
const { positionals } = argsOrExit(
  { allowPositionals: true, strict: true },
  "backup failed: ",
  USAGE,
);
const [argument] = positionals;
// An empty FILE (`-- "$BACKUP"` with the variable unset) is no path: SQLite took it for a temporary
// database, and the script ended in a stack trace.
if (!argument || positionals.length > 1) fail(USAGE);
// `npm run` starts the script in the project's folder; a relative FILE means the folder npm was run
// from (INIT_CWD), as for any command, and the copy is named in full in what the script prints.
const target = callerPath(argument);
const settings = serverSettingsOrExit(process.env);
const given = settings.databaseUrl.startsWith("file:") ? filePath(settings.databaseUrl) : null;
// A relative DATABASE_URL is the project folder's, as the server reads it, unlike a relative FILE:
// named as given, "no database at credit.db" sent the operator to the folder they ran npm from.
const source = given === null ? null : resolve(given);
if (source === null) {
  fail(
    `DATABASE_URL is not a database file (${settings.databaseUrl.split(":")[0]}:); a Turso database is backed up by Turso (point-in-time restore)`,
  );
}
// Opening a missing path would create an empty database there, and back that up.
if (!existsSync(source)) {
  fail(
    `no database at ${source}${given === source ? "" : " (a relative DATABASE_URL is read from the project's folder, as the server reads it)"}`,
  );
}
if (existsSync(target)) {
  fail(
    statSync(target).isDirectory()
      ? `${target} is a folder; name a new file in it (${join(target, "credit-backup.db")})`
      : `${target} exists already; name a new file`,
  );
}
// FILE's folder is named: SQLite said only "unable to open database: FILE", which read as the
// database being backed up. Root passes access(2) whatever the mode; SQLite's words remain then.
const folder = dirname(target);
try {
  accessSync(folder, constants.W_OK);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  fail(
    code === "ENOENT"
      ? `the folder ${folder} does not exist (ENOENT); create it, or name a FILE in a folder that exists: no backup was written`
      : `the folder ${folder} is read-only to this process (${code}); name a FILE in a folder it may write: no backup was written`,
  );
}

// The copy is written under another name and renamed to FILE once checked: a copy cut short (a
// full disk, Ctrl-C or a kill mid-copy) never stands at FILE, where it was taken for a backup
// (restored with the -journal beside it, SQLite rolled it back to an empty database).
const partial = `${target}.partial`;
const removePartial = () => {
  rmSync(partial, { force: true });
  rmSync(`${partial}-journal`, { force: true });
};
removePartial(); // what an interrupted run left

let database: InstanceType<typeof NativeDatabase> | null = null;
const walBytesBefore = walBytes(source);
try {
  database = new NativeDatabase(source, { timeout: BUSY_TIMEOUT_MS });
  const opened = database;
  // Another application's database (or none: no tables yet) is not this product's to back up; its
  // copy was made and then ended in a stack trace, leaving FILE.partial.
  const names = (sql: string) => firstColumn(opened, sql);
  await confirmOwnDatabase(source, names);
  if (!tableNames(opened).includes("customers")) {
    throw new DatabaseOpenError(
      `database ${source}: has no tables yet (never migrated): nothing to back up`,
      "operator",
    );
  }
} catch (error) {
  // Said before the close, which may checkpoint and remove the -wal the line names.
  const failure = fileOpenError(source, error, walBytesBefore);
  database?.close();
  fail(failure.message);
}
try {
  database.prepare("VACUUM INTO ?").run([partial]);
} catch (error) {
  removePartial();
  // A damaged database was said in SQLite's words alone ("database disk image is malformed"),
  // naming neither the file nor that no backup was written.
  const damage = databaseDamage(error);
  // The checks above read its header: a header SQLite no longer reads was written over since.
  if (damage === "SQLITE_NOTADB") {
    fail(changedWhileCopied("it no longer reads as a SQLite database (SQLITE_NOTADB)"));
  }
  if (damage !== null) {
    fail(
      `the database ${source} is damaged (${damage}: ${whatDamageMeans(damage)}), so it cannot be copied: no backup was written, and nothing is left at ${target}. Keep the backups you have, and restore the latest to its path (docs/operations.md, "A damaged database file")`,
    );
  }
  // SQLite's "database or disk is full" named neither the copy nor that nothing was left of it.
  if ((error as { code?: string }).code === "SQLITE_FULL") {
    fail(
      `the file system of ${folder} is full (SQLITE_FULL): no backup was written, and nothing is left at ${target}; free space there or name a FILE on another file system`,
    );
  }
  // SQLite's other words name the problem and carry no data.
  fail((error as Error).message.replaceAll(partial, target));
} finally {
  database.close();
}

const copy = new NativeDatabase(partial, { readonly: true });
let findings: string[];
let summary = "";
let holdsOwnTables = false;
try {
  const rows = copy.prepare("PRAGMA integrity_check").raw(true).all([]) as [string][];
  findings = checkFindings(rows.map(([row]) => String(row)));
  // A file emptied since the checks is copied as an empty database, which passes the check; the
  // count below ended in a stack trace and left FILE.partial.
  const names = tableNames(copy);
  holdsOwnTables = ["customers", "loans"].every((table) => names.includes(table));
  if (holdsOwnTables && findings.length === 0) {
    const count = (table: string) =>
      (copy.prepare(`SELECT count(*) FROM ${table}`).raw(true).get([]) as [number])[0];
    const megabytes = (statSync(partial).size / 1_048_576).toFixed(1);
    summary = `${count("customers")} customers, ${count("loans")} loans, ${megabytes} MB`;
  }
} finally {
  copy.close();
}
if (!holdsOwnTables) {
  removePartial();
  const bytes = statSync(source, { throwIfNoEntry: false })?.size ?? 0;
  fail(
    changedWhileCopied(
      `the copy lacks this product's tables (customers, loans; the file is ${bytes} bytes now)`,
    ),
  );
}
if (findings.length > 0) {
  removePartial();
  fail(integrityReport(findings));
}
// VACUUM INTO syncs only as its connection's synchronous says, and a rename is durable once its
// folder is synced, which nothing else does: without
// both, a power cut after "backed up" could leave FILE missing, empty or cut short.
syncToDisk(partial);
renameSync(partial, target);
const refused = syncFolder(folder);
// The last line is the one an operator or a cron job reads: it says what the warning above said.
const unsynced =
  refused === null
    ? ""
    : `; the copy is written, but its entry in ${folder} was not synced to disk (the file system refused: ${refused}), so a power cut soon after could still lose it`;
console.log(`backed up ${source} to ${target}: ${summary}, integrity ok${unsynced}`);

/**
 * The line for a database that read as this product's at the checks and no longer did at the copy:
 * another process wrote over the file meanwhile (a `cp`, a restore). Once it has finished, a
 * backup copies what is there then; a restore is for a file the server no longer opens.
 */
function changedWhileCopied(what: string): string {
  return `the database ${source} changed while it was copied (it read as this product's database when the backup began): ${what}. No backup was written, and nothing is left at ${target}. Find what else writes to that path and, once nothing does, run the backup again; if the server no longer opens the file, restore the latest backup to its path (docs/operations.md, "A damaged database file")`;
}

/**
 * The copy's findings, the first SHOWN_FINDINGS a line each, and how many more. Only the first was
 * printed, which hid how much was damaged: every loan missing from two indexes read as one row.
 * None of them carries a row's values (SQLite names tables, indexes, columns, row ids, pages).
 */
function integrityReport(found: readonly string[]): string {
  const capped = found.length >= INTEGRITY_CHECK_LIMIT;
  const lines = found.slice(0, SHOWN_FINDINGS).map((finding) => `\n  ${finding}`);
  if (found.length > SHOWN_FINDINGS) {
    const more = `… and ${found.length - SHOWN_FINDINGS} more`;
    lines.push(
      `\n  ${more}${capped ? ` (integrity_check lists at most ${INTEGRITY_CHECK_LIMIT})` : ""}`,
    );
  }
  const count = `${found.length}${capped ? " or more" : ""} findings`;
  return `the copy does not pass integrity_check (${count}; the database it copies is likely damaged too: docs/operations.md, "A damaged database file"):${lines.join("")}`;
}

/** The first column of every row a statement returns, as text. */
function firstColumn(database: InstanceType<typeof NativeDatabase>, sql: string): string[] {
  return (database.prepare(sql).raw(true).all([]) as unknown[][]).map((row) => String(row[0]));
}

/** The tables of an open database: the source's before the copy, the copy's after it. */
function tableNames(database: InstanceType<typeof NativeDatabase>): string[] {
  return firstColumn(database, "SELECT name FROM sqlite_schema WHERE type = 'table'");
}
