import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { type RunningServer, serveRuntime } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { until } from "../node/until";
import { expectProblem } from "../support/problem";

/*
 * Another process holds the write lock (a maintenance script, a backup, `sqlite3` in a shell)
 * while writes arrive. SQLite's busy handler sleeps on the thread that waits, so a write used to
 * hold the server's event loop for the whole busy timeout: /healthz and reads timed out with it,
 * and an orchestrator would restart a healthy server. Now a write blocks at most a few tens of ms,
 * then waits off the event loop; it still answers 503 once the busy timeout has passed, and is
 * committed if the lock comes free before.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUSY_TIMEOUT_MS = 2_000;

let directory: string;
let path: string;
let runtime: Runtime;
let server: RunningServer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "lock-wait-"));
  path = join(directory, "credit.db");
  runtime = await openRuntime(
    settingsFromEnv({ DATABASE_URL: `file:${path}`, AS_OF_DATE: "2025-06-15" }),
    { busyTimeoutMs: BUSY_TIMEOUT_MS },
  );
  server = await serveRuntime(runtime, { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

/** The write lock, held by another process until `release`. */
async function holdWriteLock(): Promise<{ release: () => Promise<void> }> {
  const holder = spawn(
    process.execPath,
    [
      "-e",
      `const db = new (require("libsql"))(process.argv[1], { timeout: 10000 });
       db.exec("BEGIN IMMEDIATE");
       process.stdout.write("locked\\n");
       process.stdin.once("data", () => {
         db.exec("COMMIT");
         db.close();
         process.exit(0);
       });`,
      path,
    ],
    { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = once(holder, "exit");
  const locked = await Promise.race([
    once(holder.stdout, "data").then(() => true),
    exited.then(() => false),
  ]);
  if (!locked) throw new Error("the lock holder exited before it held the lock");
  return {
    release: async () => {
      holder.stdin.end("release\n");
      await exited;
    },
  };
}

/** A response and when it came, in ms since `since`. */
async function timed(request: Promise<Response>, since: number) {
  const response = await request;
  return { response, at: performance.now() - since };
}
const post = (url: string, body: unknown) =>
  fetch(`${server.url}${url}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
/**
 * Until `count` writes wait in the server's line for the lock (its database_writes_waiting), past
 * SQLite's own short wait. A fixed sleep let a loaded machine's writes arrive after the probes,
 * which then passed without a write waiting at all; a write that holds the event loop never gets
 * in line, and this fails.
 */
async function writesWaitInLine(of: Runtime, count: number): Promise<void> {
  const gauge = of.metrics?.registry.getSingleMetric("database_writes_waiting");
  if (gauge === undefined) throw new Error("database_writes_waiting is not recorded");
  await until(
    async () => (await gauge.get()).values[0]?.value,
    (waiting) => waiting === count,
    BUSY_TIMEOUT_MS * 5,
    5,
  );
}

async function registerCustomer(): Promise<number> {
  const response = await post("/register", registration(50_000));
  expect(response.status).toBe(201);
  return ((await response.json()) as { customer_id: number }).customer_id;
}

/** What another connection sees committed. */
function committed(table: "customers" | "loans", id: number): boolean {
  const other = new NativeDatabase(path);
  try {
    return other.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).all([id]).length === 1;
  } finally {
    other.close();
  }
}

describe("a write waiting for another process's write lock", () => {
  it("leaves /healthz and reads answering, and answers 503 at the busy timeout", async () => {
    const customerId = await registerCustomer();
    const loan = { customer_id: customerId, loan_amount: 1_000, interest_rate: 12, tenure: 12 };
    const lock = await holdWriteLock();
    let writes: { response: Response; at: number }[];
    try {
      const began = performance.now();
      // A single-statement write (register) and a batch (create-loan), both waiting.
      let writesAnswered = 0;
      const waiting = Promise.all(
        [post("/register", registration(50_000)), post("/create-loan", loan)].map((write) =>
          timed(write, began).finally(() => {
            writesAnswered += 1;
          }),
        ),
      );
      await writesWaitInLine(runtime, 2);
      const probes = await Promise.all([
        timed(fetch(`${server.url}/healthz`), began),
        timed(fetch(`${server.url}/view-loans/${customerId}`), began),
        timed(fetch(`${server.url}/readyz`), began),
      ]);
      // Answered while both writes still waited: a write holding the loop for its busy timeout
      // let them through only after its 503. Timed from the start, a loaded machine's scheduling
      // alone passed a fixed bound.
      expect(writesAnswered).toBe(0);
      writes = await waiting;
      for (const probe of probes) {
        expect(probe.response.status).toBe(200);
        expect(probe.at).toBeLessThan(Math.min(...writes.map((write) => write.at)));
      }
      for (const write of writes) expect(write.at).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS - 50);
    } finally {
      await lock.release();
    }
    for (const write of writes) {
      await expectProblem(write.response, 503);
      expect(write.response.headers.get("Retry-After")).toBe("1");
    }

    // The lock is free: writes are taken again, and committed.
    const registered = await registerCustomer();
    expect(committed("customers", registered)).toBe(true);
    const booked = await post("/create-loan", loan);
    expect(booked.status).toBe(201);
    expect(committed("loans", ((await booked.json()) as { loan_id: number }).loan_id)).toBe(true);
  });

  it("commits the writes that waited, in turn, once the lock comes free before the timeout", async () => {
    const customerId = await registerCustomer();
    const loan = { customer_id: customerId, loan_amount: 1_000, interest_rate: 12, tenure: 12 };
    const lock = await holdWriteLock();
    let waiting: Promise<Response[]>;
    try {
      waiting = Promise.all([
        post("/register", registration(50_000)),
        post("/create-loan", loan),
        post("/register", registration(50_000)),
        post("/create-loan", loan),
      ]);
      await writesWaitInLine(runtime, 4);
    } finally {
      await lock.release();
    }
    const answers = await waiting;
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    const [first, , second] = (await Promise.all(answers.map((answer) => answer.json()))) as {
      customer_id?: number;
    }[];
    expect(committed("customers", first?.customer_id ?? 0)).toBe(true);
    expect(committed("customers", second?.customer_id ?? 0)).toBe(true);
    const loans = await fetch(`${server.url}/view-loans/${customerId}`);
    expect(((await loans.json()) as unknown[]).length).toBe(2);
  });
});

describe("a write still waiting in line when the server closes its database", () => {
  it("answers 503, as a write the database could not take, and applied nothing", async () => {
    // A runtime of its own: this one is closed under the waiting write.
    const closing = await openRuntime(
      settingsFromEnv({ DATABASE_URL: `file:${path}`, AS_OF_DATE: "2025-06-15" }),
      { busyTimeoutMs: BUSY_TIMEOUT_MS },
    );
    const phone = registration(50_000);
    const lock = await holdWriteLock();
    let answer: Response;
    try {
      const waiting = closing.fetch(
        new Request("http://localhost/register", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(phone),
        }),
      );
      // Past SQLite's own short wait: the write is in the line now.
      await writesWaitInLine(closing, 1);
      await closing.close();
      answer = await waiting;
    } finally {
      await lock.release();
    }
    await expectProblem(answer, 503);
    const other = new NativeDatabase(path);
    try {
      const rows = other
        .prepare("SELECT 1 FROM customers WHERE phone_number = ?")
        .all([phone.phone_number]);
      expect(rows).toEqual([]);
    } finally {
      other.close();
    }
  });
});
