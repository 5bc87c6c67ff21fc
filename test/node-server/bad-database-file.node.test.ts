import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  mkdtemp,
  open,
  rm,
  symlink,
  truncate,
  writeFile,
} from "node:fs/promises";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/local-worker";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { startServeProcess } from "../node/serve-process";

/*
 * `npm run serve` on a wrong or damaged database. Each of these printed the engine's stack trace,
 * and some wrote into the file first (another application's database got this product's tables
 * and said ready), or said ready on a file it could not write. Now the start stops with one line
 * naming the file, the problem and what to do, and leaves the file as it was; exit code 78
 * (EX_CONFIG: no restart cures it), or 1 for a remote database that does not answer, which may pass.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const AS_ROOT = process.getuid?.() === 0;
/** The exit code of a start only an operator can fix (sysexits.h). */
const EX_CONFIG = 78;

let directory: string;
/** A real database of this product, with a customer, closed cleanly. */
let product: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "bad-database-file-"));
  // The service's user must reach the files (mkdtemp makes the folder 0700).
  await chmod(directory, 0o755);
  product = join(directory, "product.db");
  const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${product}` }));
  const registered = await runtime.fetch(
    new Request("http://127.0.0.1/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(registration(50_000)),
    }),
  );
  expect(registered.status).toBe(201);
  await runtime.close();
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** `npm run serve` (no npm around it) with DATABASE_URL, to its end: exit code and output. */
async function serve(databaseUrl: string, options: { asServiceUser?: boolean } = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/serve.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: "0",
      SEED: "false",
      WEB_CONCURRENCY: "1",
      INGEST_TOKEN: "",
      HOME: tmpdir(),
    },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.asServiceUser ? { uid: 65_534, gid: 65_534 } : {}),
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  // A start that says ready must not be left running, whatever the assertion says of it.
  const watchdog = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(watchdog);
  return { code, output };
}

/** The start's line for a file whose header is not SQLite's, with no other sign of a database. */
const notADatabase = (path: string) =>
  `database ${path}: does not read as a SQLite database (SQLITE_NOTADB): it is a file of another kind (a workbook, a text file) or a database whose header was overwritten; nothing was written to it. Point DATABASE_URL at this product's database file; if this is its path, keep the file aside and restore it from a backup (npm run db:backup; docs/operations.md, "A damaged database file")`;

/** What to do with a SQLite database whose header is damaged, in the start's line. */
const DAMAGED_ADVICE =
  "If it is this product's database, keep it aside and restore it from a backup (npm run db:backup; docs/operations.md, \"A damaged database file\"); if it is another, point DATABASE_URL at this product's database file";

const exactly = (line: string) => new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n$`);

/** A copy of `product` with `bytes` written at `offset` of its header. */
async function headerOverwritten(name: string, offset: number, bytes: Buffer): Promise<string> {
  const path = join(directory, name);
  await copyFile(product, path);
  const file = await open(path, "r+");
  await file.write(bytes, 0, bytes.length, offset);
  await file.close();
  return path;
}

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** The start stopped with exactly one line, no stack trace, and left `path` and its folder as they were. */
async function expectRefused(
  path: string,
  line: RegExp,
  options: { asServiceUser?: boolean } = {},
) {
  const before = digest(path);
  const { code, output } = await serve(`file:${path}`, options);
  expect(code, output).toBe(EX_CONFIG);
  expect(output.trim().split("\n"), output).toHaveLength(1);
  expect(output).toMatch(line);
  expect(digest(path)).toBe(before);
  expect(existsSync(`${path}-wal`) || existsSync(`${path}-shm`)).toBe(false);
}

describe("npm run serve on a file that is not this product's database", () => {
  it("names a directory", async () => {
    const folder = join(directory, "a-folder");
    await mkdir(folder);
    const { code, output } = await serve(`file:${folder}`);
    expect(code).toBe(EX_CONFIG);
    expect(output.trim()).toBe(
      `database ${folder}: is a directory; DATABASE_URL must name a file in it (file:${folder}/credit.db)`,
    );
  }, 90_000);

  // It said "is not a SQLite database …; DATABASE_URL must name this product's database file",
  // which read only as a wrong file: this product's database whose header was overwritten gets the
  // same SQLITE_NOTADB, and is restored from a backup.
  it("refuses a workbook and a text file, untouched, saying either may be an overwritten database", async () => {
    const workbook = join(directory, "customer_data.xlsx");
    await copyFile(join(ROOT, "data/customer_data.xlsx"), workbook);
    await expectRefused(workbook, exactly(notADatabase(workbook)));
    const text = join(directory, "notes.txt");
    await writeFile(text, "not a database\n");
    await expectRefused(text, exactly(notADatabase(text)));
  }, 90_000);

  it("says this product's database whose header is overwritten is damaged, and to restore it", async () => {
    // The first 16 bytes ("SQLite format 3"), as a disk or a hand can: the rest of the header is
    // still SQLite's.
    const overwritten = await headerOverwritten("overwritten.db", 0, Buffer.alloc(16, 0xab));
    await expectRefused(
      overwritten,
      exactly(
        `database ${overwritten}: is a SQLite database whose header is damaged (SQLITE_NOTADB: its first 16 bytes are not "SQLite format 3" but the rest of its header is SQLite's); nothing was written to it. ${DAMAGED_ADVICE}`,
      ),
    );
    // "SQLite format 3" intact, and the three bytes after it SQLite requires (64, 32, 32) not.
    const fields = await headerOverwritten("fields.db", 21, Buffer.alloc(3, 0));
    await expectRefused(
      fields,
      exactly(
        `database ${fields}: is a SQLite database whose header is damaged (SQLITE_NOTADB: it begins "SQLite format 3" but the rest of its header is not SQLite's); nothing was written to it. ${DAMAGED_ADVICE}`,
      ),
    );
    // The whole header gone: nothing in the file tells it from a file of another kind.
    const whole = await headerOverwritten("whole-header.db", 0, Buffer.alloc(100, 0xab));
    await expectRefused(whole, exactly(notADatabase(whole)));
  }, 90_000);

  it("says a database was at the path when a SQLite -wal is beside a file that is not one", async () => {
    // A copy of a live database (its -wal holding a commit not checkpointed), then another file
    // moved over the database: the -wal stays, and is SQLite's.
    const live = join(directory, "live.db");
    await copyFile(product, live);
    const writer = new NativeDatabase(live);
    const replaced = join(directory, "replaced.db");
    try {
      writer.exec("PRAGMA wal_autocheckpoint = 0");
      writer.exec("UPDATE customers SET age = age + 1");
      await copyFile(`${live}-wal`, `${replaced}-wal`);
    } finally {
      writer.close();
    }
    await copyFile(join(ROOT, "data/customer_data.xlsx"), replaced);
    const before = digest(replaced);
    const { code, output } = await serve(`file:${replaced}`);
    expect(code, output).toBe(EX_CONFIG);
    expect(output).toBe(
      `database ${replaced}: does not read as a SQLite database, but the -wal beside it is a SQLite database's write-ahead log: the database at this path was overwritten or replaced (SQLITE_NOTADB); nothing was written to it. Keep the file and its -wal aside and restore the database from a backup (npm run db:backup; docs/operations.md, "A damaged database file"), or, if DATABASE_URL names the wrong path, point it at this product's database file\n`,
    );
    expect(digest(replaced)).toBe(before);
    expect(existsSync(`${replaced}-shm`)).toBe(false);
  }, 90_000);

  it("refuses a truncated copy of a real database as damaged", async () => {
    const half = join(directory, "half.db");
    await copyFile(product, half);
    await truncate(half, Math.floor(readFileSync(product).length / 2));
    await expectRefused(
      half,
      /^database .*half\.db: is damaged \(SQLITE_CORRUPT: .*restore it from a backup/,
    );
  }, 90_000);

  it("writes nothing into another application's SQLite database", async () => {
    // One that shares no table name was migrated, switched to WAL, and served as ready; one that
    // shares `customers` got d1_migrations and WAL, then a stack trace.
    for (const [name, tables] of [
      ["notes-app.db", "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)"],
      ["crm.db", "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)"],
    ] as const) {
      const other = join(directory, name);
      const database = new NativeDatabase(other);
      database.exec(tables);
      database.close();
      await expectRefused(
        other,
        /is not this product's database: it has tables \(\w+\) but no record/,
      );
      const after = new NativeDatabase(other, { readonly: true });
      try {
        expect(after.prepare("PRAGMA journal_mode").raw(true).get([])).toEqual(["delete"]);
        const names = after.prepare("SELECT name FROM sqlite_schema").raw(true).all([]);
        expect(names).toHaveLength(1);
      } finally {
        after.close();
      }
    }
  }, 90_000);
});

describe.skipIf(!AS_ROOT)("npm run serve as the service's user on a file it may not write", () => {
  it("names a root-owned restored copy, and a root-owned copy in WAL mode, instead of a stack trace or 'ready'", async () => {
    const folder = join(directory, "service");
    await mkdir(folder);
    await chown(folder, 65_534, 65_534);
    // A backup made as root (VACUUM INTO: not in WAL mode) was a stack trace; a plain copy of the
    // live file (in WAL mode) started and said ready while /readyz said read-only.
    const restored = join(folder, "restored.db");
    const source = new NativeDatabase(product, { readonly: true });
    source.prepare("VACUUM INTO ?").run([restored]);
    source.close();
    const copied = join(folder, "copied.db");
    await copyFile(product, copied);
    for (const path of [restored, copied]) {
      await expectRefused(
        path,
        /: is read-only to this process \(EACCES; the file: owner uid 0, mode 0644; this process: uid 65534\); give it to the server's user \(chown\)/,
        { asServiceUser: true },
      );
    }
  }, 90_000);

  // A folder of another user's, mode 0700 (created by root, the unit's User= set later): the
  // start's stat of the file failed with EACCES, a stack trace and exit 1, which systemd restarts.
  it("names a folder it may not enter, with exit 78, instead of a stack trace", async () => {
    const folder = join(directory, "root-only");
    await mkdir(folder, { mode: 0o700 });
    const path = join(folder, "credit.db");
    await copyFile(product, path);
    await expectRefused(
      path,
      /: its folder .*root-only cannot be entered by this process \(EACCES; this process: uid 65534\)/,
      { asServiceUser: true },
    );
  }, 90_000);
  // A -wal linked into a folder the server's user may not enter: the line's stat of it threw, a
  // stack trace and exit 1.
  it("names a -wal it may not reach, in one line, instead of a stack trace", async () => {
    const folder = join(directory, "service-linked");
    await mkdir(folder);
    await chown(folder, 65_534, 65_534);
    const hidden = join(directory, "root-only-wal");
    await mkdir(hidden, { mode: 0o700 });
    const path = join(folder, "credit.db");
    await copyFile(product, path);
    await chown(path, 65_534, 65_534);
    await symlink(join(hidden, "credit.db-wal"), `${path}-wal`);
    await expectRefused(
      path,
      /: its -wal file is read-only to this process \(EACCES; owner and mode unknown: EACCES; this process: uid 65534\)/,
      { asServiceUser: true },
    );
  }, 90_000);

  // A volume mounted read-only: the line said to chown the file, which no chown can do, and a
  // folder to create on it was "cannot be created (ENOENT)" (mkdir -p's code), exit 1, restarted.
  it("names a file system mounted read-only, for the file and for a folder to create on it", async (context) => {
    const mount = join(directory, "read-only-mount");
    await mkdir(mount);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mount], { stdio: "ignore" });
    } catch {
      context.skip("mounting a file system needs root with CAP_SYS_ADMIN");
    }
    try {
      const path = join(mount, "credit.db");
      await copyFile(product, path);
      execFileSync("mount", ["-o", "remount,ro", mount]);
      const readOnly = /: its file system is mounted read-only \(EROFS\); mount it read-write/;
      await expectRefused(path, readOnly);
      for (const missing of [join(mount, "new.db"), join(mount, "data", "credit.db")]) {
        const { code, output } = await serve(`file:${missing}`);
        expect(code, output).toBe(EX_CONFIG);
        expect(output.trim().split("\n"), output).toHaveLength(1);
        expect(output).toMatch(readOnly);
      }
    } finally {
      execFileSync("umount", [mount]);
    }
  }, 90_000);
});

describe("npm run serve on a DATABASE_URL that libSQL reads otherwise", () => {
  it("refuses a file: URL with a host, a query or a fragment in one line", async () => {
    for (const [url, line] of [
      ["file://data/credit.db", /^DATABASE_URL names a host \(data\)/],
      [`file:${product}?mode=ro`, /^DATABASE_URL must be file:<path> with no query/],
      [`file:${product}#x`, /^DATABASE_URL must be file:<path> with no query/],
    ] as const) {
      const { code, output } = await serve(url);
      expect(code, output).toBe(EX_CONFIG);
      expect(output.trim().split("\n"), output).toHaveLength(1);
      expect(output).toMatch(line);
    }
  }, 90_000);

  it("opens one file for a %-escaped path, the one the migrations went to", async () => {
    // The server's own connection opened `with%20space.db` (empty), the migrations `with space.db`:
    // the start ended in a stack trace and left both.
    const server = await startServeProcess({
      DATABASE_URL: `file:${join(directory, "with%20space.db")}`,
      PORT: "0",
      WEB_CONCURRENCY: "1",
    });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.stop();
    }
    expect(existsSync(join(directory, "with space.db"))).toBe(true);
    expect(existsSync(join(directory, "with%20space.db"))).toBe(false);
  }, 90_000);
});

describe("npm run serve on a remote database that does not answer", () => {
  let silent: Server;
  let silentPort: number;
  const held: Socket[] = [];
  beforeAll(async () => {
    // Accepts the connection and never answers, as a proxy in front of a dead database can.
    silent = createServer((socket) => held.push(socket)).listen(0, "127.0.0.1");
    await once(silent, "listening");
    silentPort = (silent.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("names the host that refused the connection", async () => {
    // A port free a moment ago: nothing listens there.
    const refusing = await freePort();
    const { code, output } = await serve(`libsql://127.0.0.1:${refusing}?tls=0`);
    expect(code, output).toBe(1);
    expect(output.trim()).toBe(
      `database 127.0.0.1:${refusing}: did not answer (fetch failed: connect ECONNREFUSED 127.0.0.1:${refusing}); check DATABASE_URL, DATABASE_AUTH_TOKEN and that it is reachable`,
    );
  }, 90_000);

  it("stops after 30 s of silence instead of waiting without a word", async () => {
    const { code, output } = await serve(`http://127.0.0.1:${silentPort}`);
    expect(code, output).toBe(1);
    expect(output.trim()).toBe(`database 127.0.0.1:${silentPort}: did not answer within 30 s`);
  }, 90_000);
});
