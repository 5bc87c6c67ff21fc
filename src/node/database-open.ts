import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { isStorageFullError } from "../db/errors";
import { EXPECTED_MIGRATIONS, unknownMigrations } from "../db/migration-names";
import { errorCode } from "../lib/error-code";
import { accessDenied, besideDenied } from "./database-file-faults";
import { fileSizeLimitReached } from "./file-size-limit";

/*
 * Why the server (or a database script) cannot start on the database DATABASE_URL names, as one
 * line naming the file, the problem and what to do, instead of the engine's stack trace. Checked
 * before anything is written: a file that is not this product's database is left as it was.
 */

/**
 * Who can end the problem: only an operator (a setting, the file, its permissions: every restart
 * finds it again), or maybe time (a lock released, a server back, room freed), when a restart may
 * succeed. `npm run serve` exits with a code of its own for the first (scripts/serve.ts).
 */
export type Remedy = "operator" | "may-pass";

/** A database the server cannot start on; its message is the one line to print. */
export class DatabaseOpenError extends Error {
  override name = "DatabaseOpenError";

  constructor(
    message: string,
    readonly remedy: Remedy,
  ) {
    super(message);
  }
}

const fail = (path: string, problem: string, remedy: Remedy) =>
  new DatabaseOpenError(`database ${path}: ${problem}`, remedy);

/** Who this process is, for a read-only file's message (root writes any file whatever its mode). */
function processUser(): string {
  return `uid ${process.getuid?.() ?? "?"}`;
}

function ownerAndMode(path: string): string {
  try {
    const { uid, mode } = statSync(path);
    return `owner uid ${uid}, mode ${(mode & 0o777).toString(8).padStart(4, "0")}`;
  } catch (error) {
    // A -wal linked into a folder this process may not enter, or a link loop: the line still says it.
    return `owner and mode unknown: ${errorCode(error)}`;
  }
}

/**
 * Before the file is opened: its folder exists (created when missing, as before) and it is not a
 * directory, which SQLite reported as a bare "Unable to open connection … 14". Returns the
 * outermost folder it created, if any, whose entry the open makes durable (sync-to-disk.ts).
 */
export function confirmFilePath(path: string): string | undefined {
  const folder = dirname(path);
  let created: string | undefined;
  try {
    created = mkdirSync(folder, { recursive: true });
  } catch (error) {
    const code = mkdirFailure(folder, error);
    if (code === "EROFS") throw fail(path, READ_ONLY_MOUNT, "operator");
    throw fail(
      path,
      `its folder ${folder} cannot be created (${code}); create it for the server's user (${processUser()}) or choose another path`,
      folderRemedy(error, code),
    );
  }
  if (fileStat(path, folder)?.isDirectory()) throw directory(path);
  return created;
}

/**
 * Why `mkdir -p folder` failed. Node's recursive mkdir says ENOENT when a missing folder cannot be
 * made on a read-only mount; the first missing folder's own mkdir says why (EROFS).
 */
function mkdirFailure(folder: string, error: unknown): string {
  const code = errorCode(error);
  if (code !== "ENOENT") return code;
  let first = folder;
  while (dirname(first) !== first && !existsSync(dirname(first))) first = dirname(first);
  try {
    mkdirSync(first);
    return code;
  } catch (own) {
    return errorCode(own);
  }
}

/** A read-only mount: no chown or chmod ends it, as they end a permission. */
const READ_ONLY_MOUNT =
  "its file system is mounted read-only (EROFS); mount it read-write, or point DATABASE_URL at a file on a writable one, then start again";

/**
 * The file's stat, or undefined when there is none. A folder this process may not enter (mode 0700,
 * another user's) was a stack trace and exit 1, which a supervisor restarts.
 */
function fileStat(path: string, folder: string) {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw fail(
      path,
      `its folder ${folder} cannot be entered by this process (${errorCode(error)}; this process: ${processUser()}); give it to the server's user (chown) or let that user search it (chmod)`,
      folderRemedy(error),
    );
  }
}

/**
 * The folder's failures (mkdir's, stat's) only an operator ends: permissions, a read-only mount, a
 * file where a folder should be. Others (ENOSPC, EIO) may pass.
 */
const FOLDER_PROBLEMS_OF_THE_OPERATOR = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST"]);

const folderRemedy = (error: unknown, code = errorCode(error)): Remedy =>
  FOLDER_PROBLEMS_OF_THE_OPERATOR.has(code) ? "operator" : "may-pass";

/**
 * At the server's start (and the migrations'): this process may write the file, the -wal and -shm
 * beside it, and (to create those) its folder. A restored copy left root's stopped the start with
 * SQLITE_READONLY's stack trace, or — a file already in WAL mode — the server said ready while
 * /readyz said read-only. A file made read-only later is /readyz's to report (native-libsql.ts).
 */
export function confirmWritableFile(path: string): string | undefined {
  const created = confirmFilePath(path);
  const problem = writeProblem(path);
  if (problem !== null) throw fail(path, problem, "operator");
  return created;
}

/** Why this process may not write the database file, or null if it may. */
function writeProblem(path: string): string | null {
  const fileDenied = existsSync(path) ? accessDenied(path) : null;
  if (fileDenied === "EROFS") return READ_ONLY_MOUNT;
  if (fileDenied !== null) {
    return `is read-only to this process (${fileDenied}; the file: ${ownerAndMode(path)}; this process: ${processUser()}); give it to the server's user (chown) or make it writable, then start again`;
  }
  const beside = besideDenied(path);
  if (beside?.code === "EROFS") return READ_ONLY_MOUNT;
  if (beside !== null) {
    const file = path + beside.suffix;
    return `its ${beside.suffix} file is read-only to this process (${beside.code}; ${ownerAndMode(file)}; this process: ${processUser()}), left by another user: give the database, its -wal and its -shm to the server's user (chown), then start again`;
  }
  const folder = dirname(path);
  const missingBeside = !existsSync(`${path}-wal`) || !existsSync(`${path}-shm`);
  const folderDenied = missingBeside ? accessDenied(folder) : null;
  if (folderDenied === "EROFS") return READ_ONLY_MOUNT;
  if (folderDenied !== null) {
    return `its folder ${folder} is read-only to this process (${folderDenied}; this process: ${processUser()}), and SQLite creates the -wal and -shm files beside the database; make the folder writable for the server's user`;
  }
  return null;
}

const directory = (path: string) =>
  fail(
    path,
    `is a directory; DATABASE_URL must name a file in it (file:${path}/credit.db)`,
    "operator",
  );

/** SQLite's schema and wrangler's local D1 metadata: in any database, not an application's. */
const NOT_APPLICATION_TABLES = /^(sqlite_|_cf_)|^d1_migrations$/;

/**
 * Whether the database is another application's: tables of its own and no record of this
 * product's first migration. Migrating it wrote d1_migrations and this product's tables into it
 * (and switched it to WAL) and said ready, or failed half-way on a table name both use. `names`
 * runs a query and returns its first column. Returns the migrations recorded (none when new).
 */
export async function confirmOwnDatabase(
  path: string,
  names: (sql: string) => Promise<string[]> | string[],
): Promise<string[]> {
  const tables = await names("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  const recorded = tables.includes("d1_migrations")
    ? await names("SELECT name FROM d1_migrations")
    : [];
  const foreign = tables.filter((name) => !NOT_APPLICATION_TABLES.test(name));
  const [first] = EXPECTED_MIGRATIONS;
  // A new database, or this product's.
  if (foreign.length === 0 || recorded.includes(first ?? "")) return recorded;
  const listed = foreign.slice(0, 5).join(", ") + (foreign.length > 5 ? ", …" : "");
  throw fail(
    path,
    `is not this product's database: it has tables (${listed}) but no record of this product's migrations (d1_migrations); nothing was written to it. Point DATABASE_URL at this product's database, or at a new file`,
    "operator",
  );
}

/**
 * At a start: the database records no migration this release lacks. One a newer release migrated
 * (an operator rolling back) started, said ready, and wrote with an older idea of its schema: a
 * 500 on a column added NOT NULL, or rows missing what the newer release relies on.
 */
export function confirmKnownMigrations(path: string, recorded: readonly string[]): void {
  const unknown = unknownMigrations(recorded);
  if (unknown.length === 0) return;
  throw fail(
    path,
    `was migrated by a newer release (${unknown.join(", ")}: not among this release's migrations); nothing was written to it. Run the newer release, or restore the backup taken before upgrading (docs/databases.md, "Upgrading")`,
    "operator",
  );
}

/**
 * At a start with DATABASE_QUICK_CHECK on: `PRAGMA quick_check` said "ok". What it found instead
 * (a page SQLite cannot read as what it should be, an index entry whose row is missing, …) is the
 * damaged file's line, with its first finding: the server would otherwise say ready and answer
 * 503 to each request that needs the damaged part.
 */
export function confirmUndamaged(path: string, rows: readonly string[], walBytes: number): void {
  const [first, ...others] = checkFindings(rows);
  if (first === undefined) return;
  const more = others.length > 0 ? ` and ${others.length} more` : "";
  throw fail(
    path,
    `is damaged (PRAGMA quick_check: ${first}${more}); ${damagedFix(walBytes)}`,
    "operator",
  );
}

/**
 * What `PRAGMA quick_check` or `integrity_check` found, a line each: none for its "ok" alone, and
 * "no answer" for anything else without a finding in it. SQLite answers what it finds in the
 * b-tree pages (a page never used, a freelist miscounted) as one row, a line each, headed
 * "*** in database main ***", and other findings (a NULL in a NOT NULL column, a row missing from
 * an index) as a row each. The row was once taken for its heading and dropped whole, and the
 * start's line said "no answer".
 */
export function checkFindings(rows: readonly string[]): string[] {
  if (rows.length === 1 && rows[0] === "ok") return [];
  const lines = rows
    .flatMap((row) => row.split("\n"))
    .filter((line) => line.trim() !== "" && !line.startsWith("***"));
  return lines.length > 0 ? lines : ["no answer"];
}

/** Where the start's line sends a damaged file (docs/operations.md). */
const RESTORE =
  'restore it from a backup (npm run db:backup; docs/operations.md, "A damaged database file")';

/**
 * The bytes of the -wal beside `path` (0 when there is none), read before a connection opens the
 * file: a closed libSQL connection checkpoints and removes it when the garbage collector frees it,
 * so read later, the start's hint at a restored file's old -wal came and went.
 */
export function walBytes(path: string): number {
  return statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * What to do with a damaged file, in the start's line. A backup restored beside the crashed
 * file's -wal has that WAL replayed onto its pages: "restore it from a backup" alone was what the
 * operator had just done, and the -wal (`walBytes` before the open) is the likelier cause.
 */
function damagedFix(walBytes: number): string {
  const fix = `nothing was written to it; keep it aside and ${RESTORE}`;
  if (walBytes === 0) return fix;
  const megabytes = (walBytes / 1_048_576).toFixed(1);
  return `${fix}; if it was just restored from a backup, the -wal beside it (${megabytes} MB) is likely the old file's: with the server stopped, move the -wal and -shm aside and start again`;
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");
/** The first 4 bytes of a SQLite write-ahead log (its checksums little- or big-endian). */
const WAL_MAGICS = [0x377f0682, 0x377f0683];

/** Up to `count` bytes from the start of the file at `path`; none if it cannot be read. */
function firstBytes(path: string, count: number): Buffer {
  let handle: number | undefined;
  try {
    handle = openSync(path, "r");
    const bytes = Buffer.alloc(count);
    return bytes.subarray(0, readSync(handle, bytes, 0, count, 0));
  } catch {
    return Buffer.alloc(0);
  } finally {
    if (handle !== undefined) closeSync(handle);
  }
}

/**
 * Whether the header's fields after its first 16 bytes are a SQLite database's: a page size
 * (a power of two, 512 to 65536, of which the file is a multiple), read and write versions 1 or 2,
 * and the three payload fractions SQLite requires (64, 32, 32). Random bytes match once in 2^51.
 */
function restOfHeaderIsSqlite(header: Buffer, size: number): boolean {
  if (header.length < 24) return false;
  const field = header.readUInt16BE(16);
  const pageSize = field === 1 ? 65_536 : field;
  const versions = [header[18], header[19]].every((version) => version === 1 || version === 2);
  return (
    pageSize >= 512 &&
    (pageSize & (pageSize - 1)) === 0 &&
    size > 0 &&
    size % pageSize === 0 &&
    versions &&
    header[21] === 64 &&
    header[22] === 32 &&
    header[23] === 32
  );
}

/**
 * The line for a file SQLite reads as no database (SQLITE_NOTADB): a file of another kind (a
 * wrong DATABASE_URL), or this product's database whose header was overwritten (restored from a
 * backup), which SQLite cannot tell apart. It said "DATABASE_URL must name this product's database
 * file" for both. What the file and the -wal beside it hold tells them apart only sometimes: a
 * header whose other fields are SQLite's, or a SQLite -wal beside the file, is a database's; a
 * file with neither may be either, and the line says both.
 */
function notADatabase(path: string): DatabaseOpenError {
  const header = firstBytes(path, 100);
  const size = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  const begins = header.length >= 16 && header.subarray(0, 16).equals(SQLITE_MAGIC);
  if (begins || restOfHeaderIsSqlite(header, size)) {
    const evidence = begins
      ? `it begins "SQLite format 3" but the rest of its header is not SQLite's`
      : `its first 16 bytes are not "SQLite format 3" but the rest of its header is SQLite's`;
    return fail(
      path,
      `is a SQLite database whose header is damaged (SQLITE_NOTADB: ${evidence}); nothing was written to it. If it is this product's database, keep it aside and ${RESTORE}; if it is another, point DATABASE_URL at this product's database file`,
      "operator",
    );
  }
  const wal = firstBytes(`${path}-wal`, 32);
  if (wal.length === 32 && WAL_MAGICS.includes(wal.readUInt32BE(0))) {
    return fail(
      path,
      `does not read as a SQLite database, but the -wal beside it is a SQLite database's write-ahead log: the database at this path was overwritten or replaced (SQLITE_NOTADB); nothing was written to it. Keep the file and its -wal aside and restore the database from a backup (npm run db:backup; docs/operations.md, "A damaged database file"), or, if DATABASE_URL names the wrong path, point it at this product's database file`,
      "operator",
    );
  }
  return fail(
    path,
    `does not read as a SQLite database (SQLITE_NOTADB): it is a file of another kind (a workbook, a text file) or a database whose header was overwritten; nothing was written to it. Point DATABASE_URL at this product's database file; if this is its path, keep the file aside and ${RESTORE}`,
    "operator",
  );
}

/**
 * An error of SQLite's while opening or checking the file, as one line; a DatabaseOpenError as
 * it is.
 */
export function fileOpenError(path: string, error: unknown, walBytes: number): DatabaseOpenError {
  if (error instanceof DatabaseOpenError) return error;
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return directory(path);
  const sqliteCode = errorCode(error);
  // @libsql/client puts the code before SQLite's words, once or twice.
  const message = String((error as Error).message ?? error).replace(/^([A-Z_]+: )+/, "");
  if (sqliteCode.startsWith("SQLITE_NOTADB")) return notADatabase(path);
  if (sqliteCode.startsWith("SQLITE_READONLY")) {
    const problem = writeProblem(path);
    if (problem !== null) return fail(path, problem, "operator");
    // Every permission in place: a lock or a WAL recovery of another process's
    // (SQLITE_READONLY_CANTLOCK, _RECOVERY) may end, and the code alone does not say which.
    return fail(path, `refused a write (${sqliteCode}: ${message})`, "may-pass");
  }
  if (sqliteCode.startsWith("SQLITE_CORRUPT")) {
    return fail(
      path,
      `is damaged (SQLITE_CORRUPT: ${message}; a file cut short or copied while written?); ${damagedFix(walBytes)}`,
      "operator",
    );
  }
  const noRoom = noRoomError(path, error, {
    what: "cannot be opened",
    fix: "nothing was written to it; start again once there is room",
  });
  if (noRoom !== null) return noRoom;
  // SQLITE_BUSY (another process's lock past the busy timeout), SQLITE_IOERR, SQLITE_CANTOPEN, …
  return fail(path, `cannot be opened (${sqliteCode}: ${message})`, "may-pass");
}

/**
 * What a failed open created beside a file that was not there before: an empty -wal, the -shm,
 * an empty database file, or one of its header page alone (an empty schema: every table and index
 * has a page of its own), which switching a new file to WAL writes. Anything holding data stays.
 */
export function removeCreatedFiles(path: string, existedBefore: Set<string>): void {
  for (const file of [`${path}-wal`, `${path}-shm`, path]) {
    if (existedBefore.has(file)) continue;
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    const headerOnly = file === path && stat.size === headerPageSize(path);
    if (file.endsWith("-shm") || stat.size === 0 || headerOnly) rmSync(file, { force: true });
  }
}

/** The page size a SQLite file's header states, or null when it is not a SQLite header. */
function headerPageSize(path: string): number | null {
  const header = firstBytes(path, 18);
  if (header.length < 18 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) return null;
  const field = header.readUInt16BE(16);
  return field === 1 ? 65_536 : field;
}

/** The database file and the -wal and -shm beside it that exist now. */
export function existingFiles(path: string): Set<string> {
  return new Set([path, `${path}-wal`, `${path}-shm`].filter((file) => existsSync(file)));
}

/**
 * The start's migrations could not be written for want of room: a full file system (SQLITE_FULL),
 * or the file at the process's file-size limit (EFBIG, which SQLite calls SQLITE_IOERR_WRITE). One
 * line saying so, or null for any other failure. The migration that failed was rolled back whole
 * (each is one transaction, migrations.ts); those before it stay applied.
 */
export function migrationsWriteError(path: string, error: unknown): DatabaseOpenError | null {
  return noRoomError(path, error, {
    what: "the migrations could not be written",
    fix: "nothing of the migration that failed was applied; start again once there is room",
  });
}

/**
 * A write the start needed refused for want of room, as one line, or null for any other failure:
 * a full file system (SQLITE_FULL), or a file at the process's file-size limit (EFBIG, which SQLite
 * calls SQLITE_IOERR_WRITE). Opening a file also makes the 32 KiB -shm beside it: without room for
 * that, SQLite says SQLITE_IOERR_SHMSIZE (with less than 32 KiB free, or a limit under 32 KiB).
 */
function noRoomError(
  path: string,
  error: unknown,
  { what, fix }: { what: string; fix: string },
): DatabaseOpenError | null {
  const { extendedCode } = error as { extendedCode?: unknown };
  const code = String(extendedCode ?? errorCode(error));
  const shm = code === "SQLITE_IOERR_SHMSIZE";
  if (shm || code === "SQLITE_IOERR_WRITE") {
    const limit = fileSizeLimitReached(path);
    if (limit !== null) {
      return fail(
        path,
        `${what}: the file reached the server's file-size limit (${Math.floor(limit / 1024)} KiB: ulimit -f, LimitFSIZE=); raise it (${fix})`,
        // The limit is the unit's or the shell's: every restart has it.
        "operator",
      );
    }
  }
  if (!shm && !isStorageFullError(error)) return null;
  return fail(
    path,
    `${what}: its file system is full (${shm ? code : "SQLITE_FULL"}); free space beside it (${fix})`,
    // Space comes back by itself too: a log rotated, a temporary file removed.
    "may-pass",
  );
}
