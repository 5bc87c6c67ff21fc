import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { appendFile, copyFile, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { JobReport } from "../../src/ingest/job-report";
import { openRuntime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { startOutcome, startServeProcess } from "../node/serve-process";
import { until } from "../node/until";
import { chunk, customerRow, deliverOnce, loanRow } from "../support/ingest";
import { openMigratedLibsql } from "../support/migrated-libsql";
import { overwriteRootPage } from "../support/overwritten-page";
import { expectProblem } from "../support/problem";

/*
 * A page of the database file goes bad (a disk, a copy made while written, a file edited by
 * hand): here the loans table's root page, overwritten in a real database this product made.
 * The server started on it and said ready; every request that needed the page answered 500
 * "something went wrong on our side", logged only `unhandled error` and the error's class, and
 * /readyz said ready all along. Now such a request answers 503 naming the damaged database (no
 * Retry-After: no retry helps until an operator restores it), the server logs once which file is
 * damaged and what to do, /readyz says so, writes that do not need the page still commit, and the
 * start refuses the file outright unless DATABASE_QUICK_CHECK is off.
 */

let directory: string;
/** A real database of this product (two customers, a loan), closed cleanly. */
let product: string;
let borrower: number;
const newcomer = registration(60_000);

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "damaged-database-"));
  product = join(directory, "product.db");
  const runtime = await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${product}` }));
  const post = (path: string, body: unknown) =>
    runtime.fetch(
      new Request(`http://127.0.0.1${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
  const registered = await post("/register", registration(100_000));
  expect(registered.status).toBe(201);
  borrower = ((await registered.json()) as { customer_id: number }).customer_id;
  expect((await post("/register", registration(50_000))).status).toBe(201);
  const loan = await post("/create-loan", {
    customer_id: borrower,
    loan_amount: 100_000,
    interest_rate: 14,
    tenure: 12,
  });
  expect(loan.status).toBe(201);
  await runtime.close();
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A copy of the product's database with the root page of `table` (or index) overwritten. */
async function damagedCopy(name: string, table = "loans"): Promise<string> {
  const path = join(directory, name);
  await copyFile(product, path);
  await overwriteRootPage(path, table);
  return path;
}

/**
 * A copy of the product's database whose pages all read as they should, but whose bookkeeping
 * does not add up: two pages past its end that no table, index or freelist holds, and a freelist
 * count in the header one above the freelist's length. Every query reads it; `PRAGMA quick_check`
 * answers with what it found instead of failing.
 */
async function miscountedCopy(name: string): Promise<string> {
  const path = join(directory, name);
  await copyFile(product, path);
  const database = new NativeDatabase(path, { readonly: true });
  const [pageSize] = database.prepare("PRAGMA page_size").raw(true).get([]) as [number];
  database.close();
  await appendFile(path, Buffer.alloc(2 * pageSize));
  const file = await open(path, "r+");
  const header = Buffer.alloc(100);
  await file.read(header, 0, 100, 0);
  // The header's page count (offset 28) and freelist length (offset 36), big-endian.
  header.writeUInt32BE(header.readUInt32BE(28) + 2, 28);
  header.writeUInt32BE(header.readUInt32BE(36) + 1, 36);
  await file.write(header, 0, 100, 0);
  await file.close();
  return path;
}

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** `npm run serve` on the file, to its end ("started" if it served a file it had refused before). */
const startOn = (path: string) =>
  startOutcome({ DATABASE_URL: `file:${path}`, WEB_CONCURRENCY: "1" });

describe("npm run serve on a database with a damaged page", () => {
  it("stops at the start with one line naming the file, writing nothing to it", async () => {
    const path = await damagedCopy("refused.db");
    const before = digest(path);
    const { code, output } = await startOn(path);
    expect(code, output).toBe(78); // EX_CONFIG: no restart cures it
    expect(output.trim().split("\n"), output).toHaveLength(1);
    expect(output.trim()).toMatch(
      new RegExp(
        `^database ${path}: is damaged \\(SQLITE_CORRUPT: database disk image is malformed; .+\\); nothing was written to it; keep it aside and restore it from a backup \\(npm run db:backup; docs/operations.md`,
      ),
    );
    expect(digest(path)).toBe(before);
  }, 90_000);

  it("stops at the start on a file PRAGMA quick_check lists findings for, naming the first", async () => {
    const path = await miscountedCopy("miscounted.db");
    const before = digest(path);
    // The freelist length the header now claims, one more than the pages really free (a migration
    // that drops a table leaves free pages, so the count is read, not assumed).
    const claimed = readFileSync(path).readUInt32BE(36);
    const { code, output } = await startOn(path);
    expect(code, output).toBe(78); // EX_CONFIG: no restart cures it
    expect(output.trim().split("\n"), output).toHaveLength(1);
    expect(output.trim()).toBe(
      `database ${path}: is damaged (PRAGMA quick_check: Freelist: size is ${claimed - 1} but should be ${claimed} and 2 more); nothing was written to it; keep it aside and restore it from a backup (npm run db:backup; docs/operations.md, "A damaged database file")`,
    );
    expect(digest(path)).toBe(before);
    expect(existsSync(`${path}-wal`) || existsSync(`${path}-shm`)).toBe(false);
    // Damage SQLite lists as findings, not SQLITE_CORRUPT: every page of the file can be read.
    const reader = new NativeDatabase(path, { readonly: true });
    try {
      expect(reader.prepare("SELECT count(*) FROM loans").raw(true).get([])).toEqual([1]);
    } finally {
      reader.close();
    }
  }, 90_000);

  it("with DATABASE_QUICK_CHECK off: 503 without internals for what needs the page, one log line, not ready, other writes kept", async () => {
    const path = await damagedCopy("served.db");
    const server = await startServeProcess({
      DATABASE_URL: `file:${path}`,
      WEB_CONCURRENCY: "1",
      DATABASE_QUICK_CHECK: "false",
    });
    try {
      // Nothing has read the page yet.
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

      const read = await fetch(`${server.url}/view-loans/${borrower}`);
      const readProblem = await expectProblem(read, 503);
      expect(readProblem.type).toBe("/problems/service-unavailable");
      expect(readProblem.detail).toMatch(/^The database is damaged.*restored from a backup/);
      expect(read.headers.get("retry-after")).toBeNull();

      const write = await fetch(`${server.url}/create-loan`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          customer_id: borrower,
          loan_amount: 50_000,
          interest_rate: 14,
          tenure: 6,
        }),
      });
      const writeProblem = await expectProblem(write, 503);
      expect(writeProblem.detail).toMatch(/Nothing was changed/);
      expect(write.headers.get("retry-after")).toBeNull();

      // A write that needs no damaged page is done, and acknowledged only once committed.
      const registered = await fetch(`${server.url}/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(newcomer),
      });
      expect(registered.status).toBe(201);

      const ready = await fetch(`${server.url}/readyz`);
      const readyProblem = await expectProblem(ready, 503, "database");
      expect(readyProblem.errors).toContainEqual({
        field: "database",
        message: "file is damaged (SQLITE_CORRUPT); restore it from a backup",
      });

      // Counted apart, for an alert to key on: they were counted as kind "other".
      const scraped = await (await fetch(`${server.url}/metrics`)).text();
      const counted = (kind: string) =>
        Number(
          new RegExp(`^database_errors_total\\{kind="${kind}"\\} (\\d+)$`, "m").exec(
            scraped,
          )?.[1] ?? 0,
        );
      expect(counted("damaged"), scraped).toBe(2);
      expect(counted("other"), scraped).toBe(0);
    } finally {
      await server.stop();
    }
    const output = server.output();
    // Once, however many requests met the damage, naming the file and what to do.
    const lines = output.split("\n").filter((line) => line.includes("is damaged"));
    expect(lines, output).toHaveLength(1);
    expect(lines[0]).toContain(`the database file ${path} is damaged (SQLITE_CORRUPT)`);
    expect(lines[0]).toContain("restore the latest backup (npm run db:backup)");
    expect(output).not.toMatch(/unhandled error/);

    const after = new NativeDatabase(path, { readonly: true });
    try {
      const found = after
        .prepare("SELECT count(*) FROM customers WHERE phone_number = ?")
        .raw(true)
        .get([newcomer.phone_number]) as [number];
      expect(found).toEqual([1]);
    } finally {
      after.close();
    }
  }, 90_000);
});

describe("the hourly maintenance on a damaged page", () => {
  it("names the file once and makes /readyz say damaged, where it only logged its failure", async () => {
    // The sweep of expired idempotency keys reads this index first.
    const path = await damagedCopy("maintained.db", "idempotency_keys_expires_at_idx");
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const runtime = await openRuntime(
      settingsFromEnv({ DATABASE_URL: `file:${path}`, DATABASE_QUICK_CHECK: "false" }),
      { maintenanceIntervalMs: 20 },
    );
    try {
      const logged = () => errors.mock.calls.map((call) => String(call[0]));
      const lines = await until(
        async () => logged(),
        (all) => all.filter((line) => line.includes("maintenance failed")).length >= 2,
        10_000,
      );
      const named = lines.filter((line) => line.includes("is damaged"));
      expect(named, lines.join("\n")).toHaveLength(1);
      expect(named[0]).toContain(`the database file ${path} is damaged (SQLITE_CORRUPT)`);
      const ready = await runtime.fetch(new Request("http://127.0.0.1/readyz"));
      const problem = await expectProblem(ready, 503, "database");
      expect(problem.errors[0]?.message).toBe(
        "file is damaged (SQLITE_CORRUPT); restore it from a backup",
      );
    } finally {
      await runtime.close();
      errors.mockRestore();
    }
  }, 60_000);
});

describe("the ingest consumer on a damaged page", () => {
  /*
   * A database whose loans fill eight pages of the loans table (400 loans of ten customers, even
   * ids 2 to 800, landed by the consumer), its last page overwritten: a loan that keeps its own
   * free id is written to an earlier page, one that needs a new id from the database (above
   * every other) to the damaged one. A chunk of both is one batch whose first statement writes
   * and whose second meets the damage.
   */
  async function damagedLastLoansPage(name: string): Promise<string> {
    const path = join(directory, name);
    const made = await openMigratedLibsql(`file:${path}`);
    try {
      const customers = Array.from({ length: 10 }, (_, i) => customerRow(i + 1));
      expect(await deliverOnce(made.db, chunk("made", 0, "customers", customers))).toEqual(["ack"]);
      const loans = Array.from({ length: 400 }, (_, i) => loanRow(2 * (i + 1), (i % 10) + 1));
      expect(await deliverOnce(made.db, chunk("made", 1, "loans", loans))).toEqual(["ack"]);
    } finally {
      made.close();
    }
    const database = new NativeDatabase(path);
    const [page, pages] = database
      .prepare(
        "SELECT max(pageno) FILTER (WHERE path = (SELECT max(path) FROM dbstat WHERE name = 'loans' AND pagetype = 'leaf')), count(*) FROM dbstat WHERE name = 'loans' AND pagetype = 'leaf'",
      )
      .raw(true)
      .get([]) as [number, number];
    const [pageSize] = database.prepare("PRAGMA page_size").raw(true).get([]) as [number];
    // Everything in the file itself, so that the damage is what the server reads.
    database.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    database.close();
    expect(pages).toBeGreaterThan(4);
    const file = await open(path, "r+");
    await file.write(Buffer.alloc(64, 0xab), 0, 64, (page - 1) * pageSize);
    await file.close();
    return path;
  }

  it("records a chunk that meets the damage dead at once, naming it, with nothing of it written", async () => {
    const path = await damagedLastLoansPage("ingested.db");
    const token = "damaged-ingest-token";
    const server = await startServeProcess({
      DATABASE_URL: `file:${path}`,
      WEB_CONCURRENCY: "1",
      DATABASE_QUICK_CHECK: "false",
      INGEST_TOKEN: token,
      INGEST_RETRY_DELAY_SECONDS: "0",
    });
    const auth = { Authorization: `Bearer ${token}` };
    const send = async (seq: number, rows: ReturnType<typeof loanRow>[]) => {
      const response = await fetch(`${server.url}/ingest/batches`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ messages: [chunk("damaged-job", seq, "loans", rows)] }),
      });
      expect(response.status).toBe(202);
    };
    const report = () =>
      until(
        async () =>
          (await (
            await fetch(`${server.url}/ingest/jobs/damaged-job`, { headers: auth })
          ).json()) as JobReport,
        (job) => job.done,
        60_000,
      );
    try {
      // Loan 101 keeps its free id; loan 100 is customer 10's, so customer 2's Loan ID 100 takes a
      // new id, on the damaged page.
      await send(0, [loanRow(101, 1, { row: 2 }), loanRow(100, 2, { row: 3 })]);
      const job = await report();
      expect(job.loans).toMatchObject({ received: 2, landed: 0, retrying: 0, dead: 2 });
      expect(job.dead_chunks).toEqual([
        {
          seq: 0,
          kind: "loans",
          rows: 2,
          attempts: 1,
          reason:
            'the database is damaged: a part of it this chunk needs cannot be read (SQLITE_CORRUPT). Nothing of the chunk was written, and it is not retried: no retry helps until the database is restored from a backup (docs/operations.md, "A damaged database file"); send its rows again then',
        },
      ]);
      // Nothing half-written: the loan the batch's first statement wrote was rolled back with it…
      expect((await fetch(`${server.url}/view-loan/101`)).status).toBe(404);
      // …and that statement alone, in a chunk of its own, needs no damaged page and lands.
      await send(1, [loanRow(101, 1, { row: 2 })]);
      expect((await report()).loans).toMatchObject({ received: 3, landed: 1, dead: 2 });
      expect((await fetch(`${server.url}/view-loan/101`)).status).toBe(200);
    } finally {
      await server.stop();
    }
    const output = server.output();
    expect(
      output.split("\n").filter((line) => line.includes("is damaged")),
      output,
    ).toHaveLength(1);
    const failed = output.split("\n").filter((line) => line.includes('"chunk failed"'));
    expect(failed, output).toHaveLength(1);
    expect(JSON.parse(failed[0] ?? "{}")).toMatchObject({ seq: 0, attempts: 1, kind: "damaged" });
  }, 120_000);
});
