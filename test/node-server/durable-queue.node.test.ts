import { readFile } from "node:fs/promises";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runIngest } from "../../scripts/lib/ingest-run";
import { ingestChunks } from "../../src/db/schema";
import { registerMessages } from "../../src/ingest/job-store";
import type { IngestMessage } from "../../src/ingest/messages";
import type { QueueBatch } from "../../src/ingest/queue";
import { MemoryQueue } from "../../src/node/memory-queue";
import { databaseQueueStore } from "../../src/node/queue-store";
import { startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { selectFromFile as select } from "../node/file-rows";
import {
  customerValues,
  loanValues,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";
import { serveProcessesPerFile, startServeProcess } from "../node/serve-process";
import { until } from "../node/until";
import { chunk, customerRow, loanRow } from "../support/ingest";
import { openMigratedLibsql } from "../support/migrated-libsql";

/*
 * The Node server's queue keeps what the ingest endpoint accepted in the database: a server
 * killed with chunks still queued delivers them when it starts again, attempts included, so no
 * acknowledged chunk needs the script to run again. And the script writes its report even when
 * the server dies under it.
 */

const TOKEN = "durable-queue-test-token";
const scratch = scratchFiles();
const serve = serveProcessesPerFile(startServeProcess, {
  // One process: these tests kill and restart it (cluster-lifecycle kills a cluster).
  WEB_CONCURRENCY: "1",
  INGEST_TOKEN: TOKEN,
});

const auth = { Authorization: `Bearer ${TOKEN}` };

async function send(url: string, messages: IngestMessage[]): Promise<void> {
  const response = await fetch(`${url}/ingest/batches`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ messages }),
  });
  expect(response.status).toBe(202);
}

interface JobTotals {
  done: boolean;
  customers: { landed: number };
  loans: { landed: number; retrying: number; dead: number; rejected: number };
}

/** The job's report; null before its first chunk is registered. */
async function job(url: string, jobId: string): Promise<JobTotals | null> {
  const response = await fetch(`${url}/ingest/jobs/${jobId}`, { headers: auth });
  if (response.status === 404) return null;
  return (await response.json()) as JobTotals;
}

function storedMessages(database: string) {
  return select(database, "SELECT queue, attempts FROM node_queue_messages ORDER BY rowid");
}

describe("the Node server's durable queue", () => {
  it("delivers, after a restart, what a closed queue still held, at the attempt it had reached", async () => {
    const database = await openMigratedLibsql(`file:${scratch("store.db")}`);
    try {
      const store = databaseQueueStore(database.db);
      const settings = { name: "q", maxBatchSize: 10, maxBatchTimeoutMs: 0, maxRetries: 5, store };
      const seen: number[] = [];
      const first = new MemoryQueue(settings, async (batch: QueueBatch) => {
        for (const message of batch.messages) {
          seen.push(message.attempts);
          message.retry({ delaySeconds: 0.2 });
        }
      });
      await first.send({ n: 1 });
      await until(
        async () => seen.length,
        (n) => n === 1,
        2_000,
      );
      expect(await first.close()).toBe(1);

      const bodies: unknown[] = [];
      const second = new MemoryQueue(settings, async (batch: QueueBatch) => {
        for (const message of batch.messages) {
          seen.push(message.attempts);
          bodies.push(message.body);
          message.ack();
        }
      });
      expect(await second.restore()).toBe(1);
      expect(await second.drain(3_000)).toBe(true);
      await second.close();
      expect(seen).toEqual([1, 2]);
      expect(bodies).toEqual([{ n: 1 }]);
      expect(await store.load("q")).toEqual([]);
    } finally {
      database.close();
    }
  });

  it("registers the chunks in the commit that stores them: both, or neither", async () => {
    const database = await openMigratedLibsql(`file:${scratch("registration.db")}`);
    const { db } = database;
    const store = databaseQueueStore(db);
    let failRegistration = false;
    const queue = new MemoryQueue(
      {
        name: "q",
        maxBatchSize: 10,
        maxBatchTimeoutMs: 0,
        maxRetries: 5,
        store,
        registration: async (bodies) => [
          ...(await registerMessages(db, bodies)),
          ...(failRegistration ? [db.run(sql`INSERT INTO no_such_table VALUES (1)`)] : []),
        ],
      },
      // Held back, so what the store keeps can be read.
      async (batch: QueueBatch) => {
        for (const message of batch.messages) message.retry({ delaySeconds: 60 });
      },
    );
    const chunksOf = (jobId: string) =>
      db
        .select({ seq: ingestChunks.seq, status: ingestChunks.status })
        .from(ingestChunks)
        .where(eq(ingestChunks.jobId, jobId));
    const storedJobs = async () =>
      (await store.load("q")).map((message) => (message.body as IngestMessage).job_id);
    try {
      expect(queue.registersChunks).toBe(true);
      await queue.sendBatch([{ body: chunk("job-a", 0, "customers", [customerRow(1)]) }]);
      expect(await chunksOf("job-a")).toEqual([{ seq: 0, status: "queued" }]);
      expect(await storedJobs()).toEqual(["job-a"]);

      failRegistration = true;
      await expect(
        queue.sendBatch([{ body: chunk("job-b", 0, "customers", [customerRow(2)]) }]),
      ).rejects.toThrow(/no_such_table/);
      expect(await chunksOf("job-b")).toEqual([]);
      expect(await storedJobs()).toEqual(["job-a"]);

      // Another chunk under job-a's seq 0: the database refuses its registration, so the
      // message is not stored either. The same chunk again is stored (a redelivery).
      failRegistration = false;
      const conflict = queue.sendBatch([
        { body: chunk("job-a", 0, "customers", [customerRow(3)]) },
      ]);
      await expect(conflict).rejects.toThrow(/INGEST_CHUNK_CONFLICT/);
      expect(await storedJobs()).toEqual(["job-a"]);
      await queue.sendBatch([{ body: chunk("job-a", 0, "customers", [customerRow(1)]) }]);
      expect(await storedJobs()).toEqual(["job-a", "job-a"]);
    } finally {
      await queue.close();
      database.close();
    }
  });

  it("starts on a queued message whose body is not JSON, dropping only that one", async () => {
    // A row edited by hand or damaged: parsing it at the start stopped the server from starting.
    const file = scratch("damaged-body.db");
    const database = await openMigratedLibsql(`file:${file}`);
    const insert =
      "INSERT INTO node_queue_messages (id, queue, body, attempts, available_at) VALUES (?, 'credit-ingest', ?, 1, 0)";
    const good = chunk("job-damaged", 0, "customers", [customerRow(9501)]);
    try {
      await database.client.batch(
        [
          { sql: insert, args: ["damaged", '{"job_id":"job-damaged","seq":1,'] },
          { sql: insert, args: ["good", JSON.stringify(good)] },
        ],
        "write",
      );
    } finally {
      database.close();
    }
    const server = await startServer(
      settingsFromEnv({ PORT: "0", DATABASE_URL: `file:${file}`, INGEST_TOKEN: TOKEN }),
    );
    try {
      const done = await until(
        () => job(server.url, "job-damaged"),
        (report) => report?.done === true,
        10_000,
      );
      expect(done).toMatchObject({ customers: { landed: 1 } });
      await until(
        () => storedMessages(file),
        (messages) => messages.length === 0,
        5_000,
      );
    } finally {
      await server.close();
    }
  });

  it("keeps a message that gave up in the dead-letter queue's store until that queue settles it", async () => {
    const database = await openMigratedLibsql(`file:${scratch("dead-letters.db")}`);
    try {
      const store = databaseQueueStore(database.db);
      const fast = { maxBatchSize: 10, maxBatchTimeoutMs: 0, store };
      // The dead-letter queue waits 10 s before delivering: closed before it does.
      const parked = new MemoryQueue(
        { ...fast, name: "q-dlq", maxRetries: 3, maxBatchTimeoutMs: 10_000 },
        async () => undefined,
      );
      const main = new MemoryQueue(
        { ...fast, name: "q", maxRetries: 1, deadLetterQueue: parked },
        async (batch: QueueBatch) => {
          for (const message of batch.messages) message.retry({ delaySeconds: 0 });
        },
      );
      await main.send({ poison: true });
      expect(await main.drain(2_000)).toBe(true);
      await Promise.all([main.close(), parked.close()]);
      expect(await store.load("q")).toEqual([]);
      expect(await store.load("q-dlq")).toEqual([
        expect.objectContaining({ body: { poison: true }, attempts: 1 }),
      ]);

      const delivered: { queue: string; attempts: number }[] = [];
      const deadLetters = new MemoryQueue(
        { ...fast, name: "q-dlq", maxRetries: 3 },
        async (batch: QueueBatch) => {
          for (const message of batch.messages) {
            delivered.push({ queue: batch.queue, attempts: message.attempts });
            message.ack();
          }
        },
      );
      expect(await deadLetters.restore()).toBe(1);
      expect(await deadLetters.drain(2_000)).toBe(true);
      await deadLetters.close();
      expect(delivered).toEqual([{ queue: "q-dlq", attempts: 1 }]);
      expect(await store.load("q-dlq")).toEqual([]);
    } finally {
      database.close();
    }
  });

  it("lands every chunk it acknowledged after kill -9 and a restart on the same database", async () => {
    const database = scratch("killed.db");
    const jobId = "durable-kill";
    const customerIds = [8101, 8102, 8103, 8104, 8105, 8106];
    // Three loan chunks whose customers are not there yet: each is delivered, then waits 2 s
    // for its retry — queued, acknowledged, not landed.
    const loanChunks = [0, 1, 2].map((c) =>
      chunk(jobId, c + 1, "loans", [
        loanRow(88_000 + 2 * c, customerIds[2 * c] ?? 0),
        loanRow(88_001 + 2 * c, customerIds[2 * c + 1] ?? 0),
      ]),
    );
    const first = await serve(database, { INGEST_RETRY_DELAY_SECONDS: "2" });
    await send(first.url, loanChunks);
    await until(
      () => job(first.url, jobId),
      (totals) => totals?.loans.retrying === 6,
      10_000,
    );
    await first.kill();

    // Each chunk is still stored, with its next delivery counted as the second.
    expect(await storedMessages(database)).toEqual(
      loanChunks.map(() => ({ queue: "credit-ingest", attempts: 2 })),
    );

    const second = await serve(database, { INGEST_RETRY_DELAY_SECONDS: "1" });
    await send(second.url, [
      chunk(
        jobId,
        0,
        "customers",
        customerIds.map((id) => customerRow(id)),
      ),
    ]);
    const landed = await until(
      () => job(second.url, jobId),
      (totals) => totals?.done === true,
      30_000,
    );
    expect(landed?.loans).toMatchObject({ landed: 6, retrying: 0, dead: 0, rejected: 0 });
    for (const id of customerIds) {
      expect((await fetch(`${second.url}/view-loans/${id}`)).status).toBe(200);
    }
    // Settled messages leave the table.
    await until(
      () => storedMessages(database),
      (rows) => rows.length === 0,
      5_000,
    );
  }, 90_000);

  it("writes the script's report, with the error and what had landed, when the server dies mid-run", async () => {
    const database = scratch("dies.db");
    const server = await serve(database, { INGEST_RETRY_DELAY_SECONDS: "30" });
    // Customer 8299 is in no workbook: the loans wait for it, and the script with them.
    const { customers, loans } = await writeLenderWorkbooks(
      { customers: scratch("dies-customers.xlsx"), loans: scratch("dies-loans.xlsx") },
      {
        customers: [customerValues(8201), customerValues(8202)],
        loans: [loanValues(8201, 89_001), loanValues(8299, 89_002)],
      },
    );
    const reportFile = scratch("dies-report.json");
    const run = runIngest({
      url: server.url,
      token: TOKEN,
      customersFile: customers,
      loansFile: loans,
      reportFile,
      maxAttempts: 2,
      log: () => undefined,
    });
    const outcome = run.then(
      () => null,
      (error: unknown) => error,
    );
    await until(
      () => select(database, "SELECT 1 FROM ingest_chunks WHERE kind = 'loans'").catch(() => []),
      (rows) => rows.length > 0,
      30_000,
    );
    await server.kill();
    expect(String(await outcome)).toMatch(/failed 2 times/);

    const report = JSON.parse(await readFile(reportFile, "utf8"));
    expect(report).toMatchObject({
      job_id: expect.stringMatching(/^ingest-/),
      complete: false,
      error: expect.stringMatching(/failed 2 times/),
      customers: { rows_read: 2, sent: 2, landed: 2 },
      loans: { rows_read: 2, landed: 0 },
    });
    // The server may die after storing the loans chunk but before its 202 reaches the script (a
    // loaded machine widens that gap): the report then counts them read, not sent. Either is true.
    expect([0, 2]).toContain(report.loans.sent);
  }, 90_000);
});
