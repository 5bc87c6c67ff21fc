import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { type Answer, call, registration, startCluster, workerPids } from "../node/cluster-process";
import { scratchFiles } from "../node/ingest-fixtures";
import { npmScriptCommand } from "../node/npm-script";
import { serveProcessesPerFile, startServeProcess } from "../node/serve-process";
import { until } from "../node/until";
import { chunk, customerRow } from "../support/ingest";

/*
 * The server's processes reach their file-size limit (RLIMIT_FSIZE: `ulimit -f` in the shell or
 * unit that starts it, systemd's LimitFSIZE=): the database or its WAL may not grow. Node ignores
 * SIGXFSZ, so the write fails with EFBIG, which SQLite reports as a disk I/O error
 * (SQLITE_IOERR_WRITE). The server answered every such write 500 "something went wrong on our
 * side", logged an "unhandled error", and said ready, though like a full disk (SQLITE_FULL, a 503)
 * the write changed nothing and every write would fail until an operator acted. The limit is set
 * on the running processes with prlimit(1) (util-linux), which needs no privilege to lower or
 * restore a soft limit; skipped where there is none.
 */

const TOKEN = "file-size-limit-test-token";
const auth = { Authorization: `Bearer ${TOKEN}` };
const scratch = scratchFiles();
const prlimit = ["/usr/bin/prlimit", "/bin/prlimit"].find((path) => existsSync(path));
const serve = serveProcessesPerFile(startCluster, {
  INGEST_TOKEN: TOKEN,
  RATE_LIMIT_PER_MINUTE: "100000",
});
const serveWithDefaults = serveProcessesPerFile(startServeProcess);

/** How many files of the database a process holds open (its connections, all threads). */
function openDatabaseFiles(pid: number, database: string): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(database);
    } catch {
      return false; // closed meanwhile
    }
  }).length;
}

/** Sets the soft file-size limit of each process (`unlimited`, or bytes). */
function limitFileSize(pids: number[], limit: string): void {
  for (const pid of pids) {
    execFileSync(prlimit ?? "prlimit", ["--pid", String(pid), `--fsize=${limit}:`]);
  }
}

async function count(database: string, sql: string): Promise<number> {
  const client = createClient({ url: `file:${database}` });
  try {
    return Number((await client.execute(sql)).rows[0]?.[0]);
  } finally {
    client.close();
  }
}

function expectFull(answer: Answer): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(503);
  expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(answer.headers["retry-after"]).toBe("30");
  expect(answer.body.type).toBe("/problems/service-unavailable");
  expect(answer.body.detail).toMatch(/out of storage space/);
}

describe("npm run serve whose processes reach their file-size limit", () => {
  it("answers writes 503, is not ready while the limit holds, and takes writes again once it is raised", async ({
    skip,
  }) => {
    skip(prlimit === undefined, "no prlimit(1) here to set a running process's file-size limit");
    const database = scratch("file-size-limit.db");
    const server = await serve(database);
    const { url } = server;
    expect((await call(url, "/register", { body: registration(50_000) })).status).toBe(201);
    const processes = [server.pid, ...(await workerPids(url))];
    expect(processes).toHaveLength(3);

    // No file of the database may grow past 4 KiB: every write needs a WAL frame beyond that.
    limitFileSize(processes, "4096");
    const refused = [];
    for (let i = 0; i < 6; i++) {
      refused.push(await call(url, "/register", { body: registration(50_000) }));
    }
    // Both workers refused, each over its own connection to the file.
    expect(new Set(refused.map((answer) => answer.pid)).size).toBe(2);
    for (const answer of refused) expectFull(answer);
    // The ingest batch is stored by the primary, and its refusal crosses the cluster's IPC.
    const batch = {
      messages: [chunk("size-limit", 1, "customers", [customerRow(8801), customerRow(8802)])],
    };
    expectFull(await call(url, "/ingest/batches", { body: batch, headers: auth }));
    const notReady = await call<{ errors: { field: string; message: string }[] }>(url, "/readyz");
    expect(notReady.status).toBe(503);
    expect(notReady.body.errors).toEqual([
      {
        field: "database",
        message: expect.stringMatching(/^file has reached the server's file-size limit \(4 KiB/),
      },
    ]);

    limitFileSize(processes, "unlimited");
    const accepted = [];
    for (let i = 0; i < 6; i++) {
      accepted.push(await call(url, "/register", { body: registration(50_000) }));
    }
    expect(accepted.map((answer) => answer.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect((await call(url, "/ingest/batches", { body: batch, headers: auth })).status).toBe(202);
    expect((await call(url, "/readyz")).status).toBe(200);
    // Exactly the registrations answered 201, none of those refused (the chunk's customers have
    // phone numbers of their own: test/support/ingest.ts).
    expect(
      await count(database, "SELECT count(*) FROM customers WHERE phone_number >= 9000000000"),
    ).toBe(7);
    expect(server.output()).toContain("database out of space (SQLITE_FULL)");
    expect(server.output()).not.toContain("unhandled error");
  }, 150_000);

  // The primary's WAL checkpointer thread copies the WAL's pages into the database file, which
  // must grow for the pages the workers added. At the limit every 100 ms tick failed, and the
  // thread replaced its connection each time, which libsql does not free: two more open files and
  // ~100 KB a tick, 72,000 files an hour.
  it("keeps the WAL checkpointer's connection while its checkpoints fail at the limit", async ({
    skip,
  }) => {
    skip(prlimit === undefined, "no prlimit(1) here to set a running process's file-size limit");
    const database = scratch("checkpoint-at-limit.db");
    const server = await serve(database);
    const { url } = server;
    expect((await call(url, "/register", { body: registration(50_000) })).status).toBe(201);
    // The primary alone may not grow the file; the workers still write to the WAL.
    const limit = statSync(database).size;
    limitFileSize([server.pid], String(limit));
    for (let i = 0; i < 200; i++) {
      expect((await call(url, "/register", { body: registration(50_000) })).status).toBe(201);
    }
    await until(
      async () => server.output(),
      (output) => output.includes('"a WAL checkpoint failed; the thread tries again"'),
      30_000,
    );
    const failing = openDatabaseFiles(server.pid, database);
    await sleep(1_000); // ten of the thread's ticks, each failing
    expect(openDatabaseFiles(server.pid, database)).toBe(failing);

    // The limit raised, the same connection checkpoints: the file grows past it.
    limitFileSize([server.pid], "unlimited");
    await until(
      async () => statSync(database).size,
      (size) => size > limit,
      30_000,
    );
    expect(openDatabaseFiles(server.pid, database)).toBe(failing);
  }, 150_000);

  // The migrations are written through @libsql/client at the start, before any request.
  it("stops at start with one line when the migrations cannot be written under the limit, and migrates at the next start", async ({
    skip,
  }) => {
    skip(prlimit === undefined, "no prlimit(1) here to start a process with a file-size limit");
    const database = scratch("migrations-at-limit.db");
    const { code, output } = await serveUnderLimit(database, 65_536);
    expect(code, output).toBe(78); // EX_CONFIG: the limit is the same at every restart
    // Before: LibsqlError's stack trace and its cause's, some forty lines.
    expect(output).not.toMatch(/^\s+at /m);
    expect(output.trim().split("\n").at(-1)).toMatch(
      new RegExp(
        `^database ${database}: the migrations could not be written: the file reached the server's file-size limit \\(64 KiB`,
      ),
    );

    const server = await serveWithDefaults(database);
    expect((await call(server.url, "/readyz")).status).toBe(200);
    expect((await call(server.url, "/register", { body: registration(50_000) })).status).toBe(201);
  }, 150_000);

  // Under 32 KiB, not even the -shm that opening the file maps can be made: SQLITE_IOERR_SHMSIZE
  // from the server's own connection, which was a "disk I/O error" stack trace and exit 1.
  it("stops at start with one line when the database cannot even be opened under the limit", async ({
    skip,
  }) => {
    skip(prlimit === undefined, "no prlimit(1) here to start a process with a file-size limit");
    const database = scratch("open-at-limit.db");
    const { code, output } = await serveUnderLimit(database, 16_384);
    expect(code, output).toBe(78); // EX_CONFIG, as for the migrations under the limit
    expect(output).not.toMatch(/^\s+at /m);
    expect(output.trim().split("\n").at(-1)).toMatch(
      new RegExp(
        `^database ${database}: cannot be opened: the file reached the server's file-size limit \\(16 KiB`,
      ),
    );
    for (const suffix of ["", "-wal", "-shm"]) expect(existsSync(database + suffix)).toBe(false);
  }, 150_000);
});

/** `npm run serve` on `database` under a file-size limit of `bytes`, until it exits. */
async function serveUnderLimit(
  database: string,
  bytes: number,
): Promise<{ code: unknown; output: string }> {
  const { command, args } = npmScriptCommand("serve");
  const child = spawn(prlimit ?? "prlimit", [`--fsize=${bytes}:`, "--", command, ...args], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      SEED: "false",
      WEB_CONCURRENCY: "2",
      DATABASE_URL: `file:${database}`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (data: Buffer) => (output += data.toString("utf8")));
  child.stderr.on("data", (data: Buffer) => (output += data.toString("utf8")));
  const watchdog = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise((resolve) => child.once("exit", resolve));
  clearTimeout(watchdog);
  return { code, output };
}
