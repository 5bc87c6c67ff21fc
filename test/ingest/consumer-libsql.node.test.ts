import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { consumeIngestBatch } from "../../src/ingest/consumer";
import { loadJobReport, registerMessages, upsertChunkState } from "../../src/ingest/job-store";
import { upsertLoans } from "../../src/ingest/loan-upsert";
import { QUEUE_SETTINGS } from "../../src/ingest/queue";
import { runAtomically, upsertCustomers } from "../../src/ingest/store";
import { isChunkLandedBefore, isLoanPaidMeanwhile } from "../../src/ingest/trigger-refusals";
import { MemoryQueue } from "../../src/node/memory-queue";
import { databaseQueueStore } from "../../src/node/queue-store";
import { scratchFiles } from "../node/ingest-fixtures";
import { chunk, customerRow, loanRow } from "../support/ingest";
import { openMigratedLibsql } from "../support/migrated-libsql";

/*
 * The consumer on libSQL, as the Node server runs it. A chunk that gave up during an outage must
 * still be recorded dead once the database is back, however many times the dead-letter queue has
 * to deliver it first; and a chunk lands once, the database refusing a second landing whole.
 */

const scratch = scratchFiles();

/** The consumer's view of the database: its first `failures` batches fail unsent. */
function failingFirst(db: Database, failures: number): { db: Database; failed: () => number } {
  let failed = 0;
  const proxy = new Proxy(db, {
    get(target, property) {
      if (property === "batch") {
        return (statements: Parameters<Database["batch"]>[0]) => {
          if (failed < failures) {
            failed++;
            return Promise.reject(new Error("SQLITE_BUSY: database is locked"));
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: proxy, failed: () => failed };
}

describe("dead letters on the Node server's queues", () => {
  it("records a chunk dead after an outage longer than a few dead-letter deliveries", {
    timeout: 30_000,
  }, async () => {
    const database = await openMigratedLibsql(`file:${scratch("dead-letters.db")}`);
    try {
      const message = chunk("job-outage", 0, "loans", [loanRow(9_001, 9001)]);
      await runAtomically(database.db, await registerMessages(database.db, [message]));
      // Two deliveries of the chunk (read and retry note each) and five of its dead letter fail:
      // one more than the four deliveries a dead letter used to get. A second apart at least.
      const outage = failingFirst(database.db, 2 * 2 + 5);
      const consume = (batch: Parameters<typeof consumeIngestBatch>[0]) =>
        consumeIngestBatch(batch, outage.db, { ingestRetryDelaySeconds: 0 });
      const store = databaseQueueStore(database.db);
      const deadLetters = new MemoryQueue(
        { ...QUEUE_SETTINGS.deadLetters, maxBatchTimeoutMs: 0, store },
        consume,
      );
      const ingest = new MemoryQueue(
        { ...QUEUE_SETTINGS.ingest, maxRetries: 1, deadLetterQueue: deadLetters, store },
        consume,
      );
      await ingest.send(message);
      expect(await ingest.drain(5_000)).toBe(true);
      expect(await deadLetters.drain(20_000)).toBe(true);
      await Promise.all([ingest.close(), deadLetters.close()]);

      expect(outage.failed()).toBe(9);
      const { chunks } = await loadJobReport(database.db, "job-outage");
      expect(chunks).toEqual([
        expect.objectContaining({
          seq: 0,
          status: "dead",
          lastError: "gave up after repeated failures",
        }),
      ]);
      expect(await store.load(QUEUE_SETTINGS.deadLetters.name)).toEqual([]);
    } finally {
      database.close();
    }
  });

  it("refuses a second landing of a chunk in the database, whole (libSQL)", async () => {
    const database = await openMigratedLibsql(`file:${scratch("land-once.db")}`);
    try {
      const landing = (rowsLanded: number) =>
        upsertChunkState(database.db, {
          jobId: "job-once",
          seq: 0,
          kind: "customers",
          rows: 1,
          status: "landed",
          rowsLanded,
        });
      await runAtomically(database.db, [landing(1)]);
      const again = runAtomically(database.db, [
        ...upsertCustomers(database.db, [customerRow(9101)]),
        landing(1),
      ]);
      const error = await again.then(
        () => null,
        (refused: unknown) => refused,
      );
      expect(isChunkLandedBefore(error)).toBe(true);
      const { rows } = await database.client.execute("SELECT count(*) AS n FROM customers");
      expect(rows[0]?.n).toBe(0); // the batch's customer was rolled back with it
    } finally {
      database.close();
    }
  });

  it("refuses, whole, a re-ingest's write to a loan paid since the chunk's read (libSQL)", async () => {
    const database = await openMigratedLibsql(`file:${scratch("paid-meanwhile.db")}`);
    try {
      const row = loanRow(9_201, 9201);
      await runAtomically(database.db, [
        ...upsertCustomers(database.db, [customerRow(9201)]),
        ...upsertLoans(database.db, [{ row, id: null }]),
      ]);
      // What a payment's write does to the row, between the chunk's read and its write.
      await database.client.execute("UPDATE loans SET api_payments = api_payments + 1");
      const corrected = runAtomically(database.db, [
        ...upsertCustomers(database.db, [customerRow(9202)]),
        ...upsertLoans(database.db, [{ row: { ...row, tenure: 18 }, id: null }]),
      ]);
      const error = await corrected.then(
        () => null,
        (refused: unknown) => refused,
      );
      expect(isLoanPaidMeanwhile(error)).toBe(true);
      const { rows } = await database.client.execute(
        "SELECT (SELECT count(*) FROM customers) AS customers, (SELECT tenure FROM loans) AS tenure",
      );
      // The batch's other write was rolled back with it, and the paid loan kept its terms.
      expect({ ...rows[0] }).toEqual({ customers: 1, tenure: 12 });
    } finally {
      database.close();
    }
  });

  it("lets nothing but a payment (api_payments + 1) rewrite a paid loan's state or count", async () => {
    const database = await openMigratedLibsql(`file:${scratch("paid-state.db")}`);
    try {
      await runAtomically(database.db, [
        ...upsertCustomers(database.db, [customerRow(9301)]),
        ...upsertLoans(database.db, [{ row: loanRow(9_301, 9301), id: null }]),
      ]);
      await database.client.execute("UPDATE loans SET api_payments = 1");
      const refused = async (sql: string) =>
        isLoanPaidMeanwhile(
          await database.client.execute(sql).then(
            () => null,
            (e: unknown) => e,
          ),
        );
      expect(await refused("UPDATE loans SET outstanding_principal_paise = 1")).toBe(true);
      expect(await refused("UPDATE loans SET periods_settled = 0, emi_paise = 1")).toBe(true);
      expect(await refused("UPDATE loans SET api_payments = 0, tenure = 18")).toBe(true);
      expect(await refused("UPDATE loans SET api_payments = 3")).toBe(true);
      // A payment's write: the state and the count of payments, together.
      expect(
        await refused("UPDATE loans SET outstanding_principal_paise = 1, api_payments = 2"),
      ).toBe(false);
    } finally {
      database.close();
    }
  });
});

describe("a landed chunk leaves the Node server's queue in the commit that lands it", () => {
  it("is not delivered again after a restart even when the queue's own settle fails", async () => {
    const database = await openMigratedLibsql(`file:${scratch("land-and-settle.db")}`);
    try {
      const message = chunk("job-settle", 0, "customers", [customerRow(9_201)]);
      await runAtomically(database.db, await registerMessages(database.db, [message]));
      const store = databaseQueueStore(database.db);
      // The disk fills between the landing and the settle: the settle alone is refused.
      const settleRefused = {
        ...store,
        settle: () => Promise.reject(new Error("SQLITE_FULL: database or disk is full")),
      };
      const consume = (batch: Parameters<typeof consumeIngestBatch>[0]) =>
        consumeIngestBatch(batch, database.db, { ingestRetryDelaySeconds: 0 });
      const ingest = new MemoryQueue({ ...QUEUE_SETTINGS.ingest, store: settleRefused }, consume);
      await ingest.send(message);
      expect(await ingest.drain(5_000)).toBe(true);
      await ingest.close();

      const { chunks } = await loadJobReport(database.db, "job-settle");
      expect(chunks).toEqual([expect.objectContaining({ seq: 0, status: "landed" })]);
      // What a restart would deliver again: nothing, the landing's commit took the message out.
      expect(await store.load(QUEUE_SETTINGS.ingest.name)).toEqual([]);
    } finally {
      database.close();
    }
  });
});
