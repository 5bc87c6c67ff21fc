import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isKeyTakenError } from "../../src/db/errors";
import { customers, idempotencyKeys } from "../../src/db/schema";
import { type LibsqlDatabase, openLibsqlDatabase } from "../../src/node/database";
import { openMigratedLibsql, storedResponse } from "../support/migrated-libsql";

/*
 * The Node server's own connection to a file database (src/node/native-libsql.ts): statements
 * prepared once and reused, batches as one transaction. The contract suite (node-libsql) runs the
 * whole API on it; these are the edges it does not reach.
 */

let directory: string;
let database: LibsqlDatabase;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "native-libsql-"));
  database = await openMigratedLibsql(`file:${join(directory, "n.db")}`);
});
afterAll(async () => {
  database.close();
  await rm(directory, { recursive: true, force: true });
});

const customer = (id: number) => ({
  id,
  firstName: `F${id}`,
  lastName: "L",
  age: 30,
  phoneNumber: 7_000_000_000 + id,
  monthlySalaryPaise: 5_000_000,
  approvedLimitPaise: 180_000_000,
});

describe("the Node server's file database connection", () => {
  it("reuses a prepared statement with new parameters and maps its rows", async () => {
    const { db } = database;
    await db.insert(customers).values([customer(1), customer(2)]);
    const byId = (id: number) => db.select().from(customers).where(eq(customers.id, id));
    expect((await byId(1))[0]).toMatchObject({
      id: 1,
      firstName: "F1",
      phoneNumber: 7_000_000_001,
    });
    expect((await byId(2))[0]).toMatchObject({ id: 2, firstName: "F2" });
    expect(await byId(3)).toEqual([]);
    const [one] = await db.select({ n: sql<number>`count(*)` }).from(customers);
    expect(one).toEqual({ n: 2 });
  });

  it("answers `get` and `all` of the same statement text with each call's own parameters", async () => {
    const { db } = database;
    // Customers 1 and 2 exist (above). The same SQL text, run both ways in turn, as make-payment
    // does (a prepared `get` without a key, the same select in a batch with one).
    const byId = db
      .select({ id: customers.id })
      .from(customers)
      .where(eq(customers.id, sql.placeholder("id")))
      .prepare();
    expect(await byId.all({ id: 1 })).toEqual([{ id: 1 }]);
    expect(await byId.get({ id: 2 })).toEqual({ id: 2 });
    expect(await byId.all({ id: 2 })).toEqual([{ id: 2 }]);
    expect(await byId.get({ id: 1 })).toEqual({ id: 1 });
    expect(await byId.get({ id: 3 })).toBeUndefined();
  });

  it("binds a boolean as 1 or 0, as the other drivers do", async () => {
    const { db } = database;
    const flagged = (flag: boolean) =>
      db.select({ id: customers.id }).from(customers).where(sql`${customers.id} = 1 AND ${flag}`);
    expect(await flagged(true)).toEqual([{ id: 1 }]);
    expect(await flagged(false)).toEqual([]);
  });

  it("rolls a failed batch back whole and stays usable", async () => {
    const { db } = database;
    await db.insert(idempotencyKeys).values(storedResponse("kept"));
    const failure = await db
      .batch([
        db.insert(customers).values(customer(10)),
        db.insert(idempotencyKeys).values(storedResponse("kept")),
      ])
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(isKeyTakenError(failure)).toBe(true);
    expect(await db.select().from(customers).where(eq(customers.id, 10))).toEqual([]);
    const [inserted, read] = await db.batch([
      db.insert(customers).values(customer(11)).returning({ id: customers.id }),
      db.select({ id: customers.id }).from(customers).where(eq(customers.id, 11)),
    ]);
    expect(inserted).toEqual([{ id: 11 }]);
    expect(read).toEqual([{ id: 11 }]);
  });

  it("leaves everything in the database file when it closes", async () => {
    const path = join(directory, "closing.db");
    const closing = await openMigratedLibsql(`file:${path}`);
    await closing.db.insert(customers).values(customer(21));
    await closing.db.select().from(customers);
    closing.close();
    // The file alone, as a copy without its -wal would be.
    const copy = join(directory, "copy.db");
    await copyFile(path, copy);
    const reopened = await openLibsqlDatabase(`file:${copy}`);
    try {
      expect(await reopened.db.select({ id: customers.id }).from(customers)).toEqual([{ id: 21 }]);
    } finally {
      reopened.close();
    }
  });

  it("takes the write lock before a writing batch's first read, so another process's commit cannot slip in between", async () => {
    const { db } = database;
    const path = join(directory, "n.db");
    // Another connection on its own thread (as another process would be) holds the write lock
    // with a row in flight, and commits it half a second later.
    const other = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
      const Database = require("libsql");
      const connection = new Database(workerData.path, { timeout: 5000 });
      connection.exec("BEGIN IMMEDIATE");
      connection.exec("INSERT INTO customers (id, first_name, last_name, age, phone_number, monthly_salary_paise, approved_limit_paise) VALUES (901, 'F', 'L', 30, 7000000901, 5000000, 180000000)");
      parentPort.postMessage("locked");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      connection.exec("COMMIT");
      connection.close();`,
      { eval: true, workerData: { path } },
    );
    const done = new Promise((resolve, reject) => {
      other.once("exit", resolve);
      other.once("error", reject);
    });
    await new Promise((resolve) => other.once("message", resolve));
    // A deferred BEGIN would read a snapshot without the row, then fail to write on top of it.
    const [counted] = await db.batch([
      db.select({ n: sql<number>`count(*)` }).from(customers).where(eq(customers.id, 901)),
      db.insert(customers).values(customer(902)),
    ]);
    await done;
    expect(counted).toEqual([{ n: 1 }]);
    expect(
      await db.select({ id: customers.id }).from(customers).where(eq(customers.id, 902)),
    ).toEqual([{ id: 902 }]);
  });

  it("keeps working past the number of statements it keeps prepared", async () => {
    const { db } = database;
    // 1,100 distinct SQL texts (1,000 are kept), then the first one again.
    const numbered = (n: number) =>
      db
        .select({ n: sql<number>`${sql.raw(String(n))}`, id: customers.id })
        .from(customers)
        .where(eq(customers.id, 1));
    for (let n = 0; n < 1_100; n += 1) expect(await numbered(n)).toEqual([{ n, id: 1 }]);
    expect(await numbered(0)).toEqual([{ n: 0, id: 1 }]);
  });

  it("gives only the bulk writer's connection (a cluster's primary) the larger cache, and every connection the checkpointer's safety threshold", async () => {
    const settingsOf = async (connection: LibsqlDatabase) => {
      // A raw statement's rows come back as arrays on this connection.
      const [[cache]] = (await connection.db.all(sql`PRAGMA cache_size`)) as [[number]];
      const [[checkpoint]] = (await connection.db.all(sql`PRAGMA wal_autocheckpoint`)) as [
        [number],
      ];
      return { cache, checkpoint };
    };
    const url = `file:${join(directory, "n.db")}`;
    const bulkWriter = await openLibsqlDatabase(url, undefined, { bulkWriter: true });
    try {
      expect(await settingsOf(bulkWriter)).toEqual({ cache: -65_536, checkpoint: 10_000 });
      // The WAL is folded in by the checkpointer's thread (wal-checkpointer.node.test.ts); SQLite's
      // own 1,000 pages would make a request pay for it.
      expect(await settingsOf(database)).toEqual({ cache: -2_000, checkpoint: 10_000 });
    } finally {
      bulkWriter.close({ checkpoint: false });
    }
  });
});
