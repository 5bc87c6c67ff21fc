import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import NativeDatabase from "libsql";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { getFrom, postTo } from "../node/runtime-requests";
import { expectProblem } from "../support/problem";

/*
 * The database file changed under a running server. SQLite keeps writing to the file it opened
 * (in WAL mode it does not notice that file was deleted or replaced), so those writes were
 * acknowledged and lost at the next start. Now every write checks that the path still names the
 * file opened: it answers 503 and /readyz says why, until the same file is back. A file the server
 * may not write answers 503 too, not 500.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let directory: string;
let path: string;
let runtime: Runtime | null = null;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "database-file-"));
});
afterEach(async () => {
  await runtime?.close();
  runtime = null;
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const settingsAt = (file: string) =>
  settingsFromEnv({ DATABASE_URL: `file:${file}`, AS_OF_DATE: "2025-06-15" });

const post = (url: string, body: unknown) => postTo(runtime as Runtime, url, body);
const get = (url: string) => getFrom(runtime as Runtime, url);

/** A customer with a loan, both committed; the register, booking and payment bodies to try again. */
async function customerWithLoan(file: string) {
  path = file;
  runtime = await openRuntime(settingsAt(path));
  const registered = await post("/register", registration(50_000));
  expect(registered.status).toBe(201);
  const { customer_id } = (await registered.json()) as { customer_id: number };
  const loan = { customer_id, loan_amount: 10_000, interest_rate: 12, tenure: 12 };
  const booked = await post("/create-loan", loan);
  expect(booked.status).toBe(201);
  const { loan_id, monthly_installment } = (await booked.json()) as {
    loan_id: number;
    monthly_installment: number;
  };
  return {
    customerId: customer_id,
    writes: [
      () => post("/register", registration(50_000)),
      () => post("/create-loan", loan),
      () => post(`/make-payment/${customer_id}/${loan_id}`, { amount: monthly_installment }),
    ],
  };
}

async function expectNotReady(message: string) {
  const body = await expectProblem(await get("/readyz"), 503, "database");
  expect(body.errors).toEqual([{ field: "database", message }]);
}

/** Every write answers 503 problem+json, never a 2xx. */
async function expectWritesRefused(writes: (() => Promise<Response>)[]) {
  for (const write of writes) {
    const response = await write();
    await expectProblem(response, 503);
    expect(response.headers.get("Retry-After")).toBe("1");
  }
}

interface ServiceUserWrites {
  first: { status: number; type: string | null };
  refused: number[];
  filesBefore: number;
  filesAfter: number;
  readyz: { status: number; body: { errors: { field: string; message: string }[] } };
}

/**
 * A runtime on `path` in a child process run as the service's user (nobody when the test runs as
 * root, who may write any file whatever its mode): one registration, 50 more, `idleMs` of idling,
 * then /readyz; with the process's open files on the database before and after the 50.
 */
async function writesAsServiceUser(path: string, idleMs: number): Promise<ServiceUserWrites> {
  const probe = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      `const { readdirSync, readlinkSync } = await import("node:fs");
       const { setTimeout: sleep } = await import("node:timers/promises");
       const { openRuntime } = await import("./src/node/runtime.ts");
       const { settingsFromEnv } = await import("./src/node/settings.ts");
       const [path, idleMs] = [process.argv[1], Number(process.argv[2])];
       const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: "file:" + path }));
       const openFiles = () => readdirSync("/proc/self/fd").filter((fd) => {
         try { return readlinkSync("/proc/self/fd/" + fd).startsWith(path); } catch { return false; }
       }).length;
       const registration = (n) => new Request("http://127.0.0.1/register", {
         method: "POST",
         headers: { "Content-Type": "application/json" },
         body: JSON.stringify({ first_name: "R", last_name: "O", age: 30, monthly_income: 50000, phone_number: 7444999000 + n }),
       });
       const answer = await runtime.fetch(registration(0));
       const first = { status: answer.status, type: answer.headers.get("Content-Type") };
       const filesBefore = openFiles();
       const refused = [];
       for (let n = 1; n <= 50; n++) refused.push((await runtime.fetch(registration(n))).status);
       await sleep(idleMs);
       const filesAfter = openFiles();
       const ready = await runtime.fetch(new Request("http://127.0.0.1/readyz"));
       const readyz = { status: ready.status, body: await ready.json() };
       await runtime.close();
       process.stdout.write(JSON.stringify({ first, refused, filesBefore, filesAfter, readyz }));`,
      path,
      String(idleMs),
    ],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
      ...(process.getuid?.() === 0 ? { uid: 65_534, gid: 65_534 } : {}),
    },
  );
  let output = "";
  probe.stdout.on("data", (chunk) => {
    output += chunk;
  });
  const [code] = await once(probe, "exit");
  expect(code, output).toBe(0);
  return JSON.parse(output) as ServiceUserWrites;
}

describe("a database file deleted or replaced under the running server", () => {
  it("refuses every write once the file is deleted, and opens no new file in its place", async () => {
    const { customerId, writes } = await customerWithLoan(join(directory, "deleted.db"));
    await rm(path);

    await expectWritesRefused(writes);
    await expectNotReady("file was deleted or renamed since the server opened it");
    // Reads too, once a write has found it: a new connection would open another file, or none.
    await expectProblem(await get(`/view-loans/${customerId}`), 503);
    // SQLite would have created an empty database there; the next start must not find one.
    expect(existsSync(path)).toBe(false);
    expect((await get("/healthz")).status).toBe(200);
  });

  it("refuses writes while the file is renamed away, and takes them again once it is back", async () => {
    const { customerId, writes } = await customerWithLoan(join(directory, "renamed.db"));
    const away = join(directory, "renamed-away.db");
    await rename(path, away);

    await expectWritesRefused(writes);
    await expectNotReady("file was deleted or renamed since the server opened it");

    // The very file the server opened, at its path again: ready, and every write commits in it.
    await rename(away, path);
    expect((await get("/readyz")).status).toBe(200);
    const statuses = [];
    for (const write of writes) statuses.push((await write()).status);
    expect(statuses).toEqual([201, 201, 201]);
    const other = new NativeDatabase(path);
    try {
      const loans = other.prepare("SELECT count(*) AS n FROM loans WHERE customer_id = ?");
      expect(loans.get([customerId])).toMatchObject({ n: 2 });
    } finally {
      other.close();
    }
  });

  it("refuses every write once another file is put in its place", async () => {
    const { writes } = await customerWithLoan(join(directory, "replaced.db"));
    // A copy renamed over it, as a restore or a deploy might: the same data, another file.
    const copy = join(directory, "replacement.db");
    await copyFile(path, copy);
    await rename(copy, path);

    await expectWritesRefused(writes);
    await expectNotReady("file was replaced since the server opened it");
  });
});

describe("a database that refuses writes", () => {
  it("answers 503, not 500, when SQLite says the database is read-only, and is not ready until a write can commit", async () => {
    await customerWithLoan(join(directory, "query-only.db"));
    // SQLite's own SQLITE_READONLY, as a file the server may not write raises it.
    await (runtime as Runtime).db.run(sql`PRAGMA query_only = 1`);
    await expectWritesRefused([() => post("/register", registration(50_000))]);
    // After a read-only refusal /readyz tries a write of its own; while another process holds the
    // write lock it cannot, and says what it last saw.
    const holder = new NativeDatabase(path);
    try {
      holder.exec("BEGIN IMMEDIATE");
      await expectNotReady("file refused the last write as read-only (SQLITE_READONLY)");
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    // The connection that failed was replaced (this one without query_only): ready again with no
    // request's write, which a load balancer would only send to a ready server. Writes are taken.
    expect((await get("/readyz")).status).toBe(200);
    expect((await post("/register", registration(50_000))).status).toBe(201);
  });

  it("is not ready, and answers 503 to writes, when the file is read-only to its user", async () => {
    path = join(directory, "read-only", "credit.db");
    const migrated = await openRuntime(settingsAt(path));
    await migrated.close();
    // Writable directory (SQLite creates the -wal and -shm beside it), read-only file.
    await chmod(directory, 0o755);
    await chmod(join(directory, "read-only"), 0o777);
    await chmod(path, 0o444);
    const { first, refused, filesBefore, filesAfter, readyz } = await writesAsServiceUser(path, 0);
    expect(first).toEqual({ status: 503, type: "application/problem+json" });
    // Every refusal on the same connection: a replaced one stayed open until garbage collection.
    expect(new Set(refused)).toEqual(new Set([503]));
    expect(filesAfter).toBeLessThanOrEqual(filesBefore + 2);
    expect(readyz.status).toBe(503);
    expect(readyz.body.errors).toEqual([
      { field: "database", message: "file is read-only to the server (EACCES)" },
    ]);
  });

  it("keeps its connection while the -wal and -shm beside a writable file are read-only to its user", async () => {
    // A server once run as root leaves its -wal and -shm behind, root's: the file itself is writable
    // to the service's user, but SQLite opens every connection read-only. access(2) on the file
    // alone said writable, so each refusal, and each tick of the checkpoint thread, replaced the
    // connection and leaked the old one's files, and /readyz blamed only "the last write".
    path = join(directory, "side-files", "credit.db");
    const migrated = await openRuntime(settingsAt(path));
    await migrated.close();
    expect(existsSync(`${path}-wal`) && existsSync(`${path}-shm`)).toBe(true);
    await chmod(directory, 0o755);
    await chmod(join(directory, "side-files"), 0o777);
    await chmod(path, 0o666);
    await chmod(`${path}-wal`, 0o444);
    await chmod(`${path}-shm`, 0o444);
    // A second of idling: ten ticks of the checkpoint thread, each refused.
    const { first, refused, filesBefore, filesAfter, readyz } = await writesAsServiceUser(
      path,
      1_000,
    );
    expect(first.status).toBe(503);
    expect(new Set(refused)).toEqual(new Set([503]));
    // The same connections throughout, the server's and the checkpoint thread's (was 5 -> 78).
    expect(filesAfter).toBeLessThanOrEqual(filesBefore + 2);
    expect(readyz.body.errors).toEqual([
      { field: "database", message: "file is read-only to the server (EACCES on its -wal file)" },
    ]);
  });
});
