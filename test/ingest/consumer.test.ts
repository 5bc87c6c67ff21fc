import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { ROWS_PER_CHUNK } from "../../src/ingest/messages";
import { QUEUE_SETTINGS } from "../../src/ingest/queue";
import { countingD1 } from "../../src/worker/counting-d1";
import { damagedDb, failingWriteDb, pausingDb, unavailableDb } from "../support/failing-d1";
import { callJson } from "../support/http";
import {
  chunk,
  customerRow,
  loanRow,
  loanRowsOf,
  unknownCustomerRejection,
} from "../support/ingest";
import { deliver } from "../support/queue-delivery";
import { tableCounts } from "../support/table-counts";

/*
 * The queue consumer, driven message by message with createMessageBatch/getQueueResult against
 * real D1. Ids are kept distinct per test (storage is shared within this file).
 */

async function jobReport(jobId: string) {
  return callJson<{
    done: boolean;
    customers: Record<string, number>;
    loans: Record<string, number>;
    rejections: { kind: string; row: number; column: string | null; reason: string }[];
    remapped_loans: { row: number; customer_id: number; source_loan_id: number; loan_id: number }[];
    dead_chunks: { seq: number; reason: string | null }[];
  }>(`/ingest/jobs/${jobId}`, { headers: { Authorization: "Bearer test-ingest-token" } });
}

/** Delivers one message, expecting it acked on this delivery, never retried. */
async function deliverAcked(message: unknown, options: Parameters<typeof deliver>[1] = {}) {
  const result = await deliver([message], options);
  expect(result.explicitAcks).toHaveLength(1);
  expect(result.retryMessages).toHaveLength(0);
}

describe("queue consumer", () => {
  it("lands a customer chunk and acks it; redelivery changes nothing", async () => {
    const rows = [
      customerRow(1001),
      customerRow(1002, { monthly_salary: 12_345.67, approved_limit: 444_444.44 }),
    ];
    const first = await deliver([chunk("job-a", 0, "customers", rows)]);
    expect(first.explicitAcks).toHaveLength(1);
    expect(first.retryMessages).toHaveLength(0);
    const before = await tableCounts();
    const again = await deliver([chunk("job-a", 0, "customers", rows)]);
    expect(again.explicitAcks).toHaveLength(1);
    expect(await tableCounts()).toEqual(before);
    const stored = await env.DB.prepare(
      "SELECT monthly_salary_paise, approved_limit_paise FROM customers WHERE id = 1002",
    ).first();
    expect(stored).toEqual({ monthly_salary_paise: 1_234_567, approved_limit_paise: 44_444_444 });
    const { body } = await jobReport("job-a");
    expect(body.customers).toMatchObject({
      received: 2,
      landed: 2,
      rejected: 0,
      retrying: 0,
      dead: 0,
    });
  });

  it("retries a loan chunk whose customer has not landed, then lands it once the customer is there", async () => {
    const loans = [loanRow(5001, 1101)];
    const early = await deliver([chunk("job-b", 1, "loans", loans)]);
    expect(early.retryMessages).toHaveLength(1);
    expect((await jobReport("job-b")).body.loans).toMatchObject({
      retrying: 1,
      landed: 0,
      attempts: 1,
    });
    // Each delivery is counted, so a client waiting on the job sees the retries as progress.
    await deliver([chunk("job-b", 1, "loans", loans)], { attempts: 2 });
    expect((await jobReport("job-b")).body.loans).toMatchObject({ retrying: 1, attempts: 2 });

    await deliver([chunk("job-b", 0, "customers", [customerRow(1101)])]);
    const later = await deliver([chunk("job-b", 1, "loans", loans)], { attempts: 3 });
    expect(later.explicitAcks).toHaveLength(1);
    expect(await loanRowsOf(1101)).toEqual([
      { id: 5001, source_loan_id: 5001, loan_amount_paise: 10_000_000 },
    ]);
    const { body } = await jobReport("job-b");
    expect(body.done).toBe(true);
    expect(body.loans).toMatchObject({ received: 1, landed: 1, retrying: 0 });
  });

  it("keeps the first Loan ID and gives a later duplicate a new id, recording where it went", async () => {
    await deliver([chunk("job-c", 0, "customers", [customerRow(1201), customerRow(1202)])]);
    await deliver([chunk("job-c", 1, "loans", [loanRow(6001, 1201)])]);
    await deliver([
      chunk("job-c", 2, "loans", [
        loanRow(6001, 1202, { row: 99, remap: true, loan_amount: 5_000 }),
      ]),
    ]);

    const [moved] = await loanRowsOf(1202);
    expect(moved?.source_loan_id).toBe(6001);
    expect(moved?.id).toBeGreaterThan(6001);
    expect((await loanRowsOf(1201))[0]?.id).toBe(6001);
    const { body } = await jobReport("job-c");
    expect(body.remapped_loans).toEqual([
      { row: 99, customer_id: 1202, source_loan_id: 6001, loan_id: moved?.id, seq: 2 },
    ]);

    // A second run of the same rows lands on the same ids.
    await deliver([
      chunk("job-c2", 0, "loans", [
        loanRow(6001, 1201),
        loanRow(6001, 1202, { row: 99, remap: true, loan_amount: 5_000 }),
      ]),
    ]);
    expect(await loanRowsOf(1202)).toEqual([moved]);
    expect((await jobReport("job-c2")).body.remapped_loans).toEqual([
      { row: 99, customer_id: 1202, source_loan_id: 6001, loan_id: moved?.id, seq: 0 },
    ]);
  });

  it("remaps a workbook loan whose id a loan booked through the API already holds", async () => {
    await deliver([chunk("job-d", 0, "customers", [customerRow(1301), customerRow(1302)])]);
    const booked = await callJson("/create-loan", {
      body: { customer_id: 1301, loan_amount: 1_000, interest_rate: 14, tenure: 6 },
    });
    const bookedId = booked.body.loan_id as number;
    await deliver([chunk("job-d", 1, "loans", [loanRow(bookedId, 1302, { row: 7 })])]);
    const [landed] = await loanRowsOf(1302);
    expect(landed?.id).not.toBe(bookedId);
    expect(landed?.source_loan_id).toBe(bookedId);
    expect((await jobReport("job-d")).body.remapped_loans).toHaveLength(1);
  });

  it("refuses a re-ingested row that would change a loan that took an API payment, landing the rest", async () => {
    await deliverAcked(chunk("job-p", 0, "customers", [customerRow(1351)]));
    const terms = { start_date: "2025-01-10", end_date: "2026-01-10", emis_paid_on_time: 3 };
    const paid = loanRow(7351, 1351, terms);
    const unpaid = loanRow(7352, 1351, terms);
    await deliverAcked(chunk("job-p", 1, "loans", [paid, unpaid]));
    const statement = await callJson<{ next_installment: { amount_due: number } }>(
      "/view-statement/1351/7351",
    );
    const payment = await callJson("/make-payment/1351/7351", {
      body: { amount: statement.body.next_installment.amount_due },
    });
    expect(payment.status).toBe(201);
    const paidLoan = () => env.DB.prepare("SELECT * FROM loans WHERE id = 7351").first();
    const afterPayment = await paidLoan();

    // A rerun of the same rows, then a corrected workbook: the unpaid loan takes the correction.
    await deliverAcked(chunk("job-q", 0, "loans", [paid, { ...unpaid, loan_amount: 120_000 }]));
    await deliverAcked(chunk("job-q", 1, "loans", [{ ...paid, loan_amount: 90_000, tenure: 18 }]));
    expect(await paidLoan()).toEqual(afterPayment);
    expect(await loanRowsOf(1351)).toEqual([
      { id: 7351, source_loan_id: 7351, loan_amount_paise: 10_000_000 },
      { id: 7352, source_loan_id: 7352, loan_amount_paise: 12_000_000 },
    ]);
    const { body } = await jobReport("job-q");
    // The correction the paid loan did not take is a rejection, not a row counted as landed.
    expect(body.loans).toMatchObject({ received: 3, landed: 2, rejected: 1 });
    expect(body.rejections).toEqual([
      {
        kind: "loans",
        row: paid.row,
        column: "loan_amount",
        reason:
          "loan 7351 has taken 1 payment through the API, so it keeps the terms they were made on: this row's Loan Amount, Tenure differ from the stored loan's and are not applied",
        seq: 1,
      },
    ]);
  });

  it("refuses a correction to a loan that took its first API payment between the chunk's read and its write", async () => {
    // The chunk reads loan 7361 with no payment, so its plan compares no terms; a payment lands
    // before the chunk writes. The upsert skipped the paid loan, yet the report counted its row
    // landed: the lender was told the correction applied while the loan kept its old terms.
    await deliverAcked(chunk("job-pr", 0, "customers", [customerRow(1361)]));
    const terms = { start_date: "2025-01-10", end_date: "2026-01-10", emis_paid_on_time: 3 };
    const raced = loanRow(7361, 1361, terms);
    const other = loanRow(7362, 1361, terms);
    await deliverAcked(chunk("job-pr", 1, "loans", [raced, other]));
    const statement = await callJson<{ next_installment: { amount_due: number } }>(
      "/view-statement/1361/7361",
    );
    const paidLoan = () => env.DB.prepare("SELECT * FROM loans WHERE id = 7361").first();
    let afterPayment: unknown;
    const paymentBeforeWrite = pausingDb(async (batch) => {
      if (batch !== 2 || afterPayment !== undefined) return;
      const payment = await callJson("/make-payment/1361/7361", {
        body: { amount: statement.body.next_installment.amount_due },
      });
      expect(payment.status).toBe(201);
      afterPayment = await paidLoan();
    });
    const corrected = [
      { ...raced, loan_amount: 90_000, tenure: 18 },
      { ...other, loan_amount: 120_000 },
    ];
    await deliverAcked(chunk("job-pr2", 0, "loans", corrected), {
      env: { DB: paymentBeforeWrite },
    });

    expect(await paidLoan()).toEqual(afterPayment);
    expect(await loanRowsOf(1361)).toEqual([
      { id: 7361, source_loan_id: 7361, loan_amount_paise: 10_000_000 },
      { id: 7362, source_loan_id: 7362, loan_amount_paise: 12_000_000 },
    ]);
    const { body } = await jobReport("job-pr2");
    expect(body.loans).toMatchObject({ received: 2, landed: 1, rejected: 1 });
    expect(body.rejections).toEqual([
      {
        kind: "loans",
        row: raced.row,
        column: "loan_amount",
        reason:
          "loan 7361 has taken 1 payment through the API, so it keeps the terms they were made on: this row's Loan Amount, Tenure differ from the stored loan's and are not applied",
        seq: 0,
      },
    ]);
  });

  it("refuses a customer row that would take over another customer's phone number, landing the rest", async () => {
    await deliver([chunk("job-e", 0, "customers", [customerRow(1401)])]);
    const thief = customerRow(1402, { phone_number: customerRow(1401).phone_number });
    const result = await deliver([chunk("job-e", 1, "customers", [thief, customerRow(1403)])]);
    expect(result.explicitAcks).toHaveLength(1);
    const { body } = await jobReport("job-e");
    expect(body.rejections).toEqual([
      {
        kind: "customers",
        row: thief.row,
        column: "phone_number",
        reason: "phone number already belongs to customer 1401",
        customer_id: 1402,
        seq: 1,
      },
    ]);
    expect(body.customers).toMatchObject({ received: 3, landed: 2, rejected: 1 });
  });

  it("on a loan chunk's last delivery, lands its rows and rejects only the one whose customer never landed", async () => {
    await deliver([chunk("job-u", 0, "customers", [customerRow(1501), customerRow(1502)])]);
    const loans = [loanRow(7501, 1501), loanRow(7502, 1599), loanRow(7503, 1502)];
    const early = await deliver([chunk("job-u", 1, "loans", loans)]);
    expect(early.retryMessages).toHaveLength(1);
    expect(await loanRowsOf(1501)).toEqual([]);

    const last = QUEUE_SETTINGS.ingest.maxRetries + 1;
    const final = await deliver([chunk("job-u", 1, "loans", loans)], { attempts: last });
    expect(final.explicitAcks).toHaveLength(1);
    expect(final.retryMessages).toHaveLength(0);
    expect((await loanRowsOf(1501)).map((loan) => loan.id)).toEqual([7501]);
    expect((await loanRowsOf(1502)).map((loan) => loan.id)).toEqual([7503]);
    const { body } = await jobReport("job-u");
    expect(body.done).toBe(true);
    expect(body.loans).toMatchObject({ received: 3, landed: 2, rejected: 1, dead: 0 });
    expect(body.rejections).toEqual([
      { kind: "loans", ...unknownCustomerRejection(7502, 1599), seq: 1 },
    ]);
    expect(body.dead_chunks).toEqual([]);
  });

  it("writes nothing for a redelivery of a landed chunk, even once a rejected row's customer has landed", async () => {
    // Delivery is at least once: the last delivery rejected 7602 (customer 1699 unknown) and
    // landed the chunk; its customer lands next, then the queue delivers the chunk again.
    await deliver([chunk("job-u2", 0, "customers", [customerRow(1601)])]);
    const loans = [loanRow(7601, 1601), loanRow(7602, 1699)];
    const last = QUEUE_SETTINGS.ingest.maxRetries + 1;
    await deliver([chunk("job-u2", 1, "loans", loans)], { attempts: last });
    await deliver([chunk("job-u2", 2, "customers", [customerRow(1699)])]);
    const reportBefore = (await jobReport("job-u2")).body;
    const before = await tableCounts();

    const { database, counter } = countingD1(env.DB);
    const again = await deliver([chunk("job-u2", 1, "loans", loans)], {
      env: { DB: database },
      attempts: last,
    });
    expect(again.explicitAcks).toHaveLength(1);
    expect(counter.roundTrips).toBe(1); // its read, nothing else
    expect(await loanRowsOf(1699)).toEqual([]);
    expect(await tableCounts()).toEqual(before);
    const { body } = await jobReport("job-u2");
    expect(body).toEqual(reportBefore);
    expect(body.loans).toMatchObject({ received: 2, landed: 1, rejected: 1 });
    expect(body.rejections).toEqual([
      { kind: "loans", ...unknownCustomerRejection(7602, 1699), seq: 1 },
    ]);
  });

  it("writes nothing for a delivery racing another of the same chunk that lands first", async () => {
    // A (the last delivery) reads customer 1799 as unknown; the customer lands; B reads the chunk
    // as not landed and the customer as known; A lands, rejecting 7702; then B writes.
    await deliver([chunk("job-u3", 0, "customers", [customerRow(1701)])]);
    const loans = [loanRow(7701, 1701), loanRow(7702, 1799)];
    const last = QUEUE_SETTINGS.ingest.maxRetries + 1;
    let releaseB = () => {};
    let bRead = () => {};
    const bHasRead = new Promise<void>((resolve) => {
      bRead = resolve;
    });
    const bMayWrite = new Promise<void>((resolve) => {
      releaseB = resolve;
    });
    let deliveryB: ReturnType<typeof deliver> | undefined;
    const dbOfB = pausingDb(async (batch) => {
      if (batch === 2) {
        bRead();
        await bMayWrite;
      }
    });
    const dbOfA = pausingDb(async (batch) => {
      if (batch !== 2) return;
      await deliver([chunk("job-u3", 2, "customers", [customerRow(1799)])]);
      deliveryB = deliver([chunk("job-u3", 1, "loans", loans)], { env: { DB: dbOfB } });
      await bHasRead;
    });
    const deliveryA = await deliver([chunk("job-u3", 1, "loans", loans)], {
      env: { DB: dbOfA },
      attempts: last,
    });
    releaseB();
    const b = await deliveryB;
    expect(deliveryA.explicitAcks).toHaveLength(1);
    expect(b?.explicitAcks).toHaveLength(1);
    expect(await loanRowsOf(1799)).toEqual([]);
    const { body } = await jobReport("job-u3");
    expect(body.loans).toMatchObject({ received: 2, landed: 1, rejected: 1 });
    expect(body.rejections).toEqual([
      { kind: "loans", seq: 1, ...unknownCustomerRejection(7702, 1799) },
    ]);
  });

  it("lands a full chunk, larger than D1's 100-parameter limit, in one piece", async () => {
    const customers = Array.from({ length: ROWS_PER_CHUNK }, (_, i) => customerRow(20_000 + i));
    const loans = Array.from({ length: ROWS_PER_CHUNK }, (_, i) => loanRow(70_000 + i, 20_000 + i));
    await deliver([chunk("job-f", 0, "customers", customers)]);
    const result = await deliver([chunk("job-f", 1, "loans", loans)]);
    expect(result.explicitAcks).toHaveLength(1);
    const { body } = await jobReport("job-f");
    expect(body.customers.landed).toBe(ROWS_PER_CHUNK);
    expect(body.loans.landed).toBe(ROWS_PER_CHUNK);
  });

  it("keeps a full invocation (max_batch_size full chunks) within D1's 1,000 queries", async () => {
    const { maxBatchSize } = QUEUE_SETTINGS.ingest;
    const total = maxBatchSize * ROWS_PER_CHUNK;
    const customerId = (i: number) => 400_000 + i;
    // Every kind of full chunk: new customers, new loans, loans whose ids are all taken by
    // another customer's loan (each one remapped and recorded), and, on their last delivery,
    // loans whose customers never landed (each one rejected and recorded), and loans whose ids are
    // taken in chunks that defer them (each one recorded with its row, to be sent again).
    const rows = {
      customers: (i: number) => customerRow(customerId(i)),
      loans: (i: number) => loanRow(900_000 + i, customerId(i)),
      remapped: (i: number) => loanRow(900_000 + i, customerId((i + 1) % total)),
      unknown: (i: number) => loanRow(950_000 + i, 500_000 + i),
      deferred: (i: number) => loanRow(900_000 + i, customerId((i + 2) % total)),
    };
    const jobs = {
      customers: "job-budget",
      loans: "job-budget",
      remapped: "job-budget-remaps",
      unknown: "job-budget-unknown",
      deferred: "job-budget-deferred",
    };
    const seqs = { customers: 0, loans: maxBatchSize, remapped: 0, unknown: 0, deferred: 0 };
    const attempts = {
      customers: 1,
      loans: 1,
      remapped: 1,
      unknown: QUEUE_SETTINGS.ingest.maxRetries + 1,
      deferred: 1,
    };
    const statements: Record<string, number> = {};
    for (const kind of ["customers", "loans", "remapped", "unknown", "deferred"] as const) {
      const messages = Array.from({ length: maxBatchSize }, (_, c) => {
        const slice = Array.from({ length: ROWS_PER_CHUNK }, (_, i) =>
          rows[kind](c * ROWS_PER_CHUNK + i),
        );
        const chunkKind = kind === "customers" ? "customers" : "loans";
        const deferring = kind === "deferred" ? { defer_new_ids: true } : {};
        return {
          job_id: jobs[kind],
          seq: seqs[kind] + c,
          kind: chunkKind,
          ...deferring,
          rows: slice,
        };
      });
      const { database, counter } = countingD1(env.DB);
      const result = await deliver(messages, { env: { DB: database }, attempts: attempts[kind] });
      expect(result.explicitAcks).toHaveLength(maxBatchSize);
      statements[kind] = counter.statements;
    }
    for (const [kind, count] of Object.entries(statements)) {
      expect(count, `${kind}: ${count} queries`).toBeGreaterThan(maxBatchSize);
      expect(count, `${kind}: ${count} queries`).toBeLessThanOrEqual(1_000);
    }
    const { body } = await jobReport("job-budget");
    expect(body.customers.landed).toBe(total);
    expect(body.loans.landed).toBe(total);
    const remaps = await jobReport("job-budget-remaps");
    expect(remaps.body.loans.landed).toBe(total);
    expect(remaps.body.remapped_loans).toHaveLength(total);
    const unknown = await jobReport("job-budget-unknown");
    expect(unknown.body.loans).toMatchObject({ landed: 0, rejected: total, dead: 0 });
    const deferred = await jobReport("job-budget-deferred");
    expect(deferred.body.loans).toMatchObject({ landed: 0, rejected: 0, deferred: total });
    // Five invocations of 5,000 rows each: seconds on a busy machine.
  }, 30_000);

  it("rejects a row its schema refuses alone, on the first delivery, and lands the rest", async () => {
    const rows = [customerRow(1701), { ...customerRow(1702), customer_id: "not a number" }];
    await deliverAcked({ job_id: "job-g", seq: 3, kind: "customers", rows });
    const { body } = await jobReport("job-g");
    expect(body.customers).toMatchObject({ received: 2, landed: 1, rejected: 1, dead: 0 });
    expect(body.rejections).toEqual([
      expect.objectContaining({ row: 1703, column: "customer_id" }),
    ]);
  });

  it("acks a message that is no chunk at once, recording it dead when it names one", async () => {
    // Not an object, a list, no kind, rows that are not a list, a row without its row number:
    // no retry can land any of them, and each used to be retried five times first.
    const result = await deliver([
      "hello",
      null,
      42,
      [chunk("job-g2", 0, "customers", [customerRow(1711)])],
      { job_id: "job-g2", seq: 1, rows: [customerRow(1712)] },
      { job_id: "job-g2", seq: 2, kind: "customers", rows: { 0: customerRow(1713) } },
      { job_id: "job-g2", seq: 3, kind: "loans", rows: [{ loan_id: 5 }] },
    ]);
    expect(result.explicitAcks).toHaveLength(7);
    expect(result.retryMessages).toHaveLength(0);
    const { body } = await jobReport("job-g2");
    expect(body.dead_chunks).toEqual([
      expect.objectContaining({
        seq: 1,
        reason: "not a chunk the consumer can read (kind): never retried",
      }),
      expect.objectContaining({
        seq: 2,
        reason: "not a chunk the consumer can read (rows): never retried",
      }),
      expect.objectContaining({
        seq: 3,
        reason: "not a chunk the consumer can read (rows.0.row): never retried",
      }),
    ]);
    expect(body.done).toBe(true);
  });

  it("records a chunk dead when the dead-letter queue hands it over", async () => {
    const gaveUp = chunk("job-g3", 0, "loans", [loanRow(1_721, 1721)]);
    const dead = await deliver([gaveUp], { queue: "credit-ingest-dlq" });
    expect(dead.explicitAcks).toHaveLength(1);
    const { body } = await jobReport("job-g3");
    // Its attempts are the ingest queue's six deliveries, not the dead-letter queue's first.
    expect(body.dead_chunks).toEqual([
      expect.objectContaining({ seq: 0, reason: "gave up after repeated failures", attempts: 6 }),
    ]);
    expect(body.loans.dead).toBe(1);
    expect(body.done).toBe(true);
  });

  it.each([
    ["SQLITE_CORRUPT", "a part of it this chunk needs cannot be read", 1731],
    // A header that is not SQLite's was named SQLITE_CORRUPT too, sending the operator to look
    // for a bad page where the whole file no longer reads as a database.
    ["SQLITE_NOTADB", "its file no longer reads as a SQLite database", 1761],
  ] as const)(
    "records a chunk whose landing meets a damaged database (%s) dead at once, naming it",
    async (code, what, id) => {
      // Its read is the first batch, its landing the second (refused as D1 reports the damage), the
      // record of its death the third. It was retried five times, then "gave up after repeated
      // failures". The Node server does the same on a real damaged file
      // (test/node-server/damaged-database.node.test.ts, overwritten-header.node.test.ts).
      const jobId = `job-damaged-${code}`;
      const rows = [customerRow(id), customerRow(id + 1)];
      const before = await tableCounts();
      await deliverAcked(chunk(jobId, 0, "customers", rows), { env: { DB: damagedDb([2], code) } });
      expect(await tableCounts()).toEqual(before);
      const { body } = await jobReport(jobId);
      expect(body.dead_chunks).toEqual([
        expect.objectContaining({
          seq: 0,
          attempts: 1,
          reason: `the database is damaged: ${what} (${code}). Nothing of the chunk was written, and it is not retried: no retry helps until the database is restored from a backup (docs/operations.md, "A damaged database file"); send its rows again then`,
        }),
      ]);
      expect(body.customers).toMatchObject({ received: 2, landed: 0, dead: 2 });
      expect(body.done).toBe(true);
    },
  );

  it("retries a dead letter alone, with a growing delay, while its chunk cannot be recorded dead", async () => {
    // The first chunk's record fails, the second's goes through: one failure costs one message.
    const first = chunk("job-g4", 0, "loans", [loanRow(1_731, 1731)]);
    const second = chunk("job-g4", 1, "loans", [loanRow(1_732, 1732)]);
    const settings = { INGEST_RETRY_DELAY_SECONDS: "2" };
    const outage = await deliver([first, second], {
      queue: "credit-ingest-dlq",
      attempts: 3,
      env: { DB: unavailableDb([1]), ...settings },
    });
    expect(outage.explicitAcks).toHaveLength(1);
    expect(outage.retryMessages).toHaveLength(1);
    expect([...outage.retryDelays.values()]).toEqual([8]); // 2 s doubled per earlier delivery
    expect((await jobReport("job-g4")).body.dead_chunks.map((c) => c.seq)).toEqual([1]);

    // Long outages: the delay stops growing at 30 minutes, and the queue keeps the message for
    // its 100 retries (about two days).
    const later = await deliver([first], {
      queue: "credit-ingest-dlq",
      attempts: 40,
      env: { DB: unavailableDb([1]), ...settings },
    });
    expect([...later.retryDelays.values()]).toEqual([1_800]);

    const recovered = await deliver([first], { queue: "credit-ingest-dlq", attempts: 41 });
    expect(recovered.explicitAcks).toHaveLength(1);
    const { body } = await jobReport("job-g4");
    expect(body.dead_chunks.map((c) => c.seq)).toEqual([0, 1]);
    expect(body.loans).toMatchObject({ dead: 2, retrying: 0, queued: 0 });
    expect(body.done).toBe(true);
  });

  it("reports every rejection of a job whose chunks reuse a row number, each with its chunk's seq", async () => {
    // A client other than the script may number each chunk's rows afresh. The rejections were
    // keyed by (job, kind, row): the later chunk's row 7 was dropped, and received no longer
    // equalled landed + rejected.
    const last = QUEUE_SETTINGS.ingest.maxRetries + 1;
    const loans = [loanRow(7801, 1899, { row: 7 }), loanRow(7802, 1898, { row: 7 })];
    for (const [seq, loan] of loans.entries()) {
      await deliverAcked(chunk("job-rows", seq, "loans", [loan]), { attempts: last });
    }
    const underage = { ...customerRow(1851), row: 7, age: 12 };
    await deliver([{ job_id: "job-rows", seq: 2, kind: "customers", rows: [underage] }]);
    const { body } = await jobReport("job-rows");
    expect(body.loans).toMatchObject({ received: 2, landed: 0, rejected: 2, dead: 0 });
    expect(body.customers).toMatchObject({ received: 1, landed: 0, rejected: 1, dead: 0 });
    // By kind, row, then seq.
    expect(body.rejections).toEqual([
      { kind: "customers", row: 7, column: "age", reason: "must be at least 18", seq: 2 },
      { kind: "loans", ...unknownCustomerRejection(7, 1899), seq: 0 },
      { kind: "loans", ...unknownCustomerRejection(7, 1898), seq: 1 },
    ]);
  });

  it("reports every remapped loan of a job whose chunks reuse a row number, each with its chunk's seq", async () => {
    const customers = [customerRow(1861), customerRow(1862), customerRow(1863)];
    await deliver([chunk("job-rows-remap", 0, "customers", customers)]);
    await deliver([chunk("job-rows-remap", 1, "loans", [loanRow(7861, 1861, { row: 5 })])]);
    for (const [seq, customerId] of [
      [2, 1862],
      [3, 1863],
    ] as const) {
      const loan = loanRow(7861, customerId, { row: 5, remap: true });
      await deliver([chunk("job-rows-remap", seq, "loans", [loan])]);
    }
    const [second] = await loanRowsOf(1862);
    const [third] = await loanRowsOf(1863);
    const { body } = await jobReport("job-rows-remap");
    expect(body.loans).toMatchObject({ received: 3, landed: 3, rejected: 0, dead: 0 });
    expect(body.remapped_loans).toEqual([
      { row: 5, customer_id: 1862, source_loan_id: 7861, loan_id: second?.id, seq: 2 },
      { row: 5, customer_id: 1863, source_loan_id: 7861, loan_id: third?.id, seq: 3 },
    ]);
  });

  it("acks a queued chunk that repeats a row number at once, recording it dead by the later row", async () => {
    // Two rows under one number could never both be reported: the endpoint refuses such a chunk,
    // and one queued around it can never land.
    const rows = [customerRow(1871, { row: 7 }), customerRow(1872), customerRow(1873, { row: 7 })];
    await deliverAcked({ job_id: "job-rows-twice", seq: 0, kind: "customers", rows });
    const { body } = await jobReport("job-rows-twice");
    expect(body.customers).toMatchObject({ received: 3, landed: 0, rejected: 0, dead: 3 });
    expect(body.dead_chunks).toEqual([
      expect.objectContaining({
        seq: 0,
        reason: "not a chunk the consumer can read (rows.2.row): never retried",
      }),
    ]);
    const stored = await env.DB.prepare(
      "SELECT id FROM customers WHERE id IN (1871, 1872, 1873)",
    ).all();
    expect(stored.results).toEqual([]);
  });

  it("logs the last failed delivery of a dead letter as an error naming the chunk", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const gaveUp = chunk("job-g5", 3, "customers", [customerRow(1741), customerRow(1742)]);
      const result = await deliver([gaveUp], {
        queue: "credit-ingest-dlq",
        attempts: QUEUE_SETTINGS.deadLetters.maxRetries + 1,
        env: { DB: unavailableDb([1]) },
      });
      expect(result.retryMessages).toHaveLength(1); // the queue drops it: no retry is left
      const lines = errors.mock.calls.map(([line]) => JSON.parse(String(line)));
      expect(lines).toEqual([
        expect.objectContaining({
          level: "error",
          what: "dead chunk not recorded",
          job_id: "job-g5",
          seq: 3,
          kind: "customers",
          rows: 2,
          dropped: true,
        }),
      ]);
    } finally {
      errors.mockRestore();
    }
  });

  it("keeps a landed chunk landed when a lost answer sent it to the dead-letter queue", async () => {
    const landed = chunk("job-g6", 0, "customers", [customerRow(1751)]);
    await deliver([landed]);
    const dead = await deliver([landed], { queue: "credit-ingest-dlq" });
    expect(dead.explicitAcks).toHaveLength(1);
    const { body } = await jobReport("job-g6");
    expect(body.customers).toMatchObject({ landed: 1, dead: 0 });
    expect(body.dead_chunks).toEqual([]);
    const state = await env.DB.prepare(
      "SELECT status, last_error FROM ingest_chunks WHERE job_id = 'job-g6'",
    ).first();
    expect(state).toEqual({ status: "landed", last_error: null });
  });

  it.each(["before-commit", "after-commit"] as const)(
    "lands every row exactly once when the database fails %s and the chunk is redelivered",
    async (mode) => {
      const base = mode === "before-commit" ? 30_000 : 31_000;
      const customers = Array.from({ length: 40 }, (_, i) => customerRow(base + i));
      const jobId = `job-h-${mode}`;
      const before = await tableCounts();

      const failed = await deliver([chunk(jobId, 0, "customers", customers)], {
        env: { DB: failingWriteDb(mode) },
      });
      expect(failed.retryMessages).toHaveLength(1);
      const landedOnFailure = (await tableCounts()).customers - before.customers;
      expect(landedOnFailure).toBe(mode === "before-commit" ? 0 : 40); // all or nothing, never part

      const redelivered = await deliver([chunk(jobId, 0, "customers", customers)], { attempts: 2 });
      expect(redelivered.explicitAcks).toHaveLength(1);
      expect((await tableCounts()).customers).toBe(before.customers + 40);
      const { body } = await jobReport(jobId);
      expect(body.customers).toMatchObject({ received: 40, landed: 40, retrying: 0 });
    },
  );

  /*
   * A row that needs an id from the database when the loans table's largest id is already
   * 2^53 - 1 (an ingested Loan ID at the top of the range): the insert is refused
   * (migrations/0008). That refusal used to fail the whole chunk, every delivery, until it died
   * with all its rows; now that row is rejected alone and the others land.
   */
  it("rejects alone a loan row that needs a new id when none is left below 2^53", async () => {
    await deliverAcked(chunk("job-idtop-c", 0, "customers", [customerRow(1801)]));
    await deliverAcked(chunk("job-idtop-l0", 0, "loans", [loanRow(18010, 1801)]));
    const top = Number.MAX_SAFE_INTEGER;
    await env.DB.prepare(`UPDATE loans SET id = ${top} WHERE id = 18010`).run();
    try {
      await deliverAcked(
        chunk("job-idtop", 0, "loans", [
          loanRow(18011, 1801),
          loanRow(18012, 1801, { remap: true }),
        ]),
      );
      const { body } = await jobReport("job-idtop");
      expect(body.loans).toMatchObject({ received: 2, landed: 1, rejected: 1, dead: 0 });
      expect(body.rejections).toEqual([
        {
          kind: "loans",
          row: 18012,
          column: "loan_id",
          reason: `needs a new loan id, and none is left: the loans table's largest id is ${top}, the API's largest (renumber the ingested Loan IDs)`,
          seq: 0,
        },
      ]);
      expect(body.remapped_loans).toEqual([]);
      expect((await loanRowsOf(1801)).map((loan) => loan.id)).toEqual([18011, top]);
    } finally {
      await env.DB.prepare(`UPDATE loans SET id = 18010 WHERE id = ${top}`).run();
    }
  });
});
