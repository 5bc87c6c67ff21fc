import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { chmod, chown, copyFile, mkdir, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { startServeProcess } from "../node/serve-process";

/*
 * `npm run serve` on a wrong or damaged database. Each of these printed the engine's stack trace,
 * and some wrote into the file first (another application's database got this product's tables
 * and said ready), or said ready on a file it could not write. Now the start stops with one line
 * naming the file, the problem and what to do, exit code 1, and leaves the file as it was.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const AS_ROOT = process.getuid?.() === 0;
/** Ports of this test's listeners (a database that refuses, one that never answers, a server). */
const REFUSING_PORT = 19_390;
const SILENT_PORT = 19_391;
const SERVER_PORT = 19_392;

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
      PORT: String(SERVER_PORT),
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

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** The start stopped with exactly one line, no stack trace, and left `path` and its folder as they were. */
async function expectRefused(
  path: string,
  line: RegExp,
  options: { asServiceUser?: boolean } = {},
) {
  const before = digest(path);
  const { code, output } = await serve(`file:${path}`, options);
  expect(code, output).toBe(1);
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
    expect(code).toBe(1);
    expect(output.trim()).toBe(
      `database ${folder}: is a directory; DATABASE_URL must name a file in it (file:${folder}/credit.db)`,
    );
  }, 90_000);

  it("refuses a workbook and a text file, untouched", async () => {
    const workbook = join(directory, "customer_data.xlsx");
    await copyFile(join(ROOT, "data/customer_data.xlsx"), workbook);
    await expectRefused(workbook, /^database .*customer_data\.xlsx: is not a SQLite database/);
    const text = join(directory, "notes.txt");
    await writeFile(text, "not a database\n");
    await expectRefused(text, /^database .*notes\.txt: is not a SQLite database/);
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
});

describe("npm run serve on a DATABASE_URL that libSQL reads otherwise", () => {
  it("refuses a file: URL with a host, a query or a fragment in one line", async () => {
    for (const [url, line] of [
      ["file://data/credit.db", /^DATABASE_URL names a host \(data\)/],
      [`file:${product}?mode=ro`, /^DATABASE_URL must be file:<path> with no query/],
      [`file:${product}#x`, /^DATABASE_URL must be file:<path> with no query/],
    ] as const) {
      const { code, output } = await serve(url);
      expect(code, output).toBe(1);
      expect(output.trim().split("\n"), output).toHaveLength(1);
      expect(output).toMatch(line);
    }
  }, 90_000);

  it("opens one file for a %-escaped path, the one the migrations went to", async () => {
    // The server's own connection opened `with%20space.db` (empty), the migrations `with space.db`:
    // the start ended in a stack trace and left both.
    const server = await startServeProcess({
      DATABASE_URL: `file:${join(directory, "with%20space.db")}`,
      PORT: String(SERVER_PORT),
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
  const held: Socket[] = [];
  beforeAll(async () => {
    // Accepts the connection and never answers, as a proxy in front of a dead database can.
    silent = createServer((socket) => held.push(socket)).listen(SILENT_PORT, "127.0.0.1");
    await once(silent, "listening");
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("names the host that refused the connection", async () => {
    const { code, output } = await serve(`libsql://127.0.0.1:${REFUSING_PORT}?tls=0`);
    expect(code, output).toBe(1);
    expect(output.trim()).toBe(
      `database 127.0.0.1:${REFUSING_PORT}: did not answer (fetch failed: connect ECONNREFUSED 127.0.0.1:${REFUSING_PORT}); check DATABASE_URL, DATABASE_AUTH_TOKEN and that it is reachable`,
    );
  }, 90_000);

  it("stops after 30 s of silence instead of waiting without a word", async () => {
    const { code, output } = await serve(`http://127.0.0.1:${SILENT_PORT}`);
    expect(code, output).toBe(1);
    expect(output.trim()).toBe(`database 127.0.0.1:${SILENT_PORT}: did not answer within 30 s`);
  }, 90_000);
});
