import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, callJson } from "../support/http";
import { chunk, customerRow, loanRow, loanRowsOf } from "../support/ingest";
import { expectProblem } from "../support/problem";

const AUTH = { Authorization: "Bearer test-ingest-token" };

async function waitForJob(jobId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await callJson<{
      done: boolean;
      customers: Record<string, number>;
      loans: Record<string, number>;
    }>(`/ingest/jobs/${jobId}`, { headers: AUTH });
    if (status === 200 && body.done) return body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} not done: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A send refused whole with 400 naming one field: its job is never registered. */
async function expectRefusedSend(
  messages: ReturnType<typeof chunk>[],
  error: { field: string; message: string },
) {
  const body = await expectProblem(
    await call("/ingest/batches", { body: { messages }, headers: AUTH }),
    400,
  );
  expect(body.errors).toEqual([error]);
  const jobId = messages[0]?.job_id;
  expect((await call(`/ingest/jobs/${jobId}`, { headers: AUTH })).status).toBe(404);
}

describe("ingest endpoints", () => {
  it("require the bearer token", async () => {
    await expectProblem(await call("/ingest/summary"), 401);
    await expectProblem(
      await call("/ingest/summary", { headers: { Authorization: "Bearer wrong" } }),
      401,
    );
    const response = await call("/ingest/batches", {
      body: { messages: [] },
      headers: { Authorization: "Bearer test-ingest-tokenX" },
    });
    await expectProblem(response, 401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("are never kept by a cache, refused or answered", async () => {
    for (const headers of [{}, AUTH]) {
      for (const path of ["/ingest/summary", "/ingest/jobs/no-such-job"]) {
        const response = await call(path, { headers });
        expect(response.headers.get("cache-control"), path).toBe("no-store");
      }
    }
  });

  it("are disabled when no token is configured", async () => {
    const response = await call("/ingest/summary", { headers: AUTH, env: { INGEST_TOKEN: "" } });
    const body = await expectProblem(response, 401);
    expect(body.detail).toMatch(/disabled/);
  });

  it("reject a malformed chunk with 400 naming the row field, and enqueue nothing", async () => {
    const bad = chunk("job-bad", 0, "customers", [customerRow(9001, { age: 12 })]);
    const response = await call("/ingest/batches", { body: { messages: [bad] }, headers: AUTH });
    const body = await expectProblem(response, 400);
    expect(body.errors).toEqual([
      { field: "messages.0.rows.0.age", message: "must be at least 18" },
    ]);
    expect((await call("/ingest/jobs/job-bad", { headers: AUTH })).status).toBe(404);
  });

  it("refuse a loan row whose schedule would pass 9999-12-31 or whose EMI rounds to 0.00, naming the field", async () => {
    // Both were accepted and landed: the first showed an end date of 10049-12-31 and counted every
    // payment late, the second is a loan the API refuses.
    const loans = chunk("job-bad-terms", 0, "loans", [
      loanRow(96_001, 9601, {
        tenure: 600,
        emis_paid_on_time: 0,
        start_date: "9999-12-31",
        end_date: "9999-12-31",
      }),
      loanRow(96_002, 9601, { loan_amount: 0.01, tenure: 600, interest_rate: 0 }),
    ]);
    const response = await call("/ingest/batches", { body: { messages: [loans] }, headers: AUTH });
    const body = await expectProblem(response, 400);
    expect(body.errors).toEqual([
      {
        field: "messages.0.rows.0.start_date",
        message: "must leave room for the tenure: the last instalment would fall after 9999-12-31",
      },
      {
        field: "messages.0.rows.1.loan_amount",
        message: "is too small for the tenure: the monthly instalment would round to 0.00",
      },
    ]);
    expect((await call("/ingest/jobs/job-bad-terms", { headers: AUTH })).status).toBe(404);
  });

  it("refuse a seq that is not a safe whole number, naming it", async () => {
    const row = JSON.stringify(customerRow(9611));
    // 1e300 is whole and was accepted; 2^53 + 1 is read as 2^53, so the two were one chunk.
    for (const seq of ["1e300", "9007199254740993", "9007199254740992", "-1", "0.5"]) {
      const rawBody = `{"messages":[{"job_id":"job-seq","seq":${seq},"kind":"customers","rows":[${row}]}]}`;
      const body = await expectProblem(
        await call("/ingest/batches", { rawBody, headers: AUTH }),
        400,
      );
      expect(body.errors.map((e) => e.field)).toEqual(["messages.0.seq"]);
    }
    expect((await call("/ingest/jobs/job-seq", { headers: AUTH })).status).toBe(404);

    // The largest safe seq is a seq like any other.
    const largest = chunk("job-seq", Number.MAX_SAFE_INTEGER, "customers", [customerRow(9611)]);
    const accepted = await call("/ingest/batches", {
      body: { messages: [largest] },
      headers: AUTH,
    });
    expect(accepted.status).toBe(202);
    expect((await waitForJob("job-seq")).customers).toMatchObject({ chunks: 1, landed: 1 });
  });

  it("refuse two chunks with one job_id and seq in a send, naming the second's seq", async () => {
    const messages = [
      chunk("job-twice", 0, "customers", [customerRow(9621)]),
      chunk("job-twice", 0, "customers", [customerRow(9622)]),
    ];
    // Both were stored while the job counted one chunk of one row.
    await expectRefusedSend(messages, {
      field: "messages.1.seq",
      message: "repeats the job_id and seq of messages.0: each chunk of a job needs its own seq",
    });
  });

  it("refuse a chunk that repeats a row number, naming the later row", async () => {
    // The job report knows a chunk's rows by their numbers: the later row's rejection was lost.
    const rows = [customerRow(9641), customerRow(9642), customerRow(9643, { row: 9642 })];
    await expectRefusedSend([chunk("job-row-twice", 0, "customers", rows)], {
      field: "messages.0.rows.2.row",
      message: "repeats the row number of rows.0: each row of a sheet has its own number",
    });
  });

  it("take the same chunk again (a retried send), and refuse another chunk under its seq with 409", async () => {
    const first = chunk("job-resend", 0, "customers", [customerRow(9631)]);
    const send = (messages: unknown[]) =>
      call("/ingest/batches", { body: { messages }, headers: AUTH });
    expect((await send([first])).status).toBe(202);
    expect((await waitForJob("job-resend")).customers).toMatchObject({ chunks: 1, received: 1 });
    // The script re-sends a whole send when its answer is lost: the same chunk is accepted again.
    expect((await send([first])).status).toBe(202);

    const other = chunk("job-resend", 0, "customers", [customerRow(9632), customerRow(9633)]);
    const conflict = await expectProblem(await send([other]), 409);
    expect(conflict.errors).toEqual([
      { field: "messages.0.seq", message: "is already registered in this job with other rows" },
    ]);
    // With a new chunk beside it, nothing of the send is registered or enqueued.
    const next = chunk("job-resend", 1, "customers", [customerRow(9634)]);
    const mixed = await expectProblem(await send([next, other]), 409, "messages.1.seq");
    expect(mixed.errors.map((e) => e.field)).toEqual(["messages.1.seq"]);

    const done = await waitForJob("job-resend");
    expect(done.customers).toMatchObject({ chunks: 1, received: 1, landed: 1 });
    const stored = await backend().query<{ id: number }>(
      "SELECT id FROM customers WHERE id BETWEEN 9631 AND 9634 ORDER BY id",
    );
    expect(stored.map((c) => c.id)).toEqual([9631]);
  });

  it("answer 413 when a message or the send is over the queue's limits, and enqueue nothing", async () => {
    // 500 rows of long names: one message of about 150 KB, over a queue message's 120 KB.
    const wide = (seq: number, rows: number) =>
      chunk(
        "job-wide",
        seq,
        "customers",
        Array.from({ length: rows }, (_, i) =>
          customerRow(20_000 + seq * 1_000 + i, {
            first_name: "A".repeat(100),
            last_name: "B".repeat(100),
          }),
        ),
      );
    const oneTooLarge = await call("/ingest/batches", {
      body: { messages: [wide(0, 500)] },
      headers: AUTH,
    });
    const one = await expectProblem(oneTooLarge, 413);
    expect(one.detail).toMatch(/120000/);
    expect(one.errors).toEqual([{ field: "messages.0", message: "must be at most 120000 bytes" }]);
    // Three messages of about 100 KB each: every one fits, the send of 300 KB does not.
    const sendTooLarge = await call("/ingest/batches", {
      body: { messages: [wide(1, 330), wide(2, 330), wide(3, 330)] },
      headers: AUTH,
    });
    const send = await expectProblem(sendTooLarge, 413);
    expect(send.detail).toMatch(/240000/);
    expect(send.errors).toEqual([
      { field: "messages", message: "must be at most 240000 bytes in all" },
    ]);
    expect((await call("/ingest/jobs/job-wide", { headers: AUTH })).status).toBe(404);
  });

  it("reject non-JSON with 415 and broken JSON with 400", async () => {
    await expectProblem(
      await call("/ingest/batches", {
        rawBody: "x",
        headers: { ...AUTH, "Content-Type": "text/plain" },
      }),
      415,
    );
    await expectProblem(
      await call("/ingest/batches", { rawBody: "{", headers: AUTH }),
      400,
      "body",
    );
  });

  it("carry chunks through the real queue to the database", async () => {
    const customers = chunk("job-e2e", 0, "customers", [customerRow(9101), customerRow(9102)]);
    const accepted = await callJson("/ingest/batches", {
      body: { messages: [customers] },
      headers: AUTH,
    });
    expect(accepted).toMatchObject({ status: 202, body: { accepted: 1, rows: 2 } });
    const afterCustomers = await waitForJob("job-e2e");
    expect(afterCustomers.customers).toMatchObject({ received: 2, landed: 2 });

    const loans = chunk("job-e2e", 1, "loans", [
      loanRow(91_001, 9101),
      loanRow(91_002, 9102),
      loanRow(91_001, 9102, { row: 50, remap: true }),
    ]);
    await callJson("/ingest/batches", { body: { messages: [loans] }, headers: AUTH });
    const done = await waitForJob("job-e2e");
    expect(done.loans).toMatchObject({ received: 3, landed: 3, dead: 0 });
    expect((await loanRowsOf(9102)).map((l) => l.source_loan_id).sort()).toEqual([91_001, 91_002]);

    const summary = await callJson<{ customers: number; loans: number }>("/ingest/summary", {
      headers: AUTH,
    });
    expect(summary.body.customers).toBeGreaterThanOrEqual(2);
    expect(summary.body.loans).toBeGreaterThanOrEqual(3);
  });

  it("defer a loan that would take a new id when its chunk asks (defer_new_ids), land it when sent again; without the field it takes one at once", async () => {
    // A new id taken at once could be the Loan ID of a row the client sends later: that row was
    // renumbered in turn (docs/ingestion.md#loan-ids). A deferring chunk takes no new id.
    const send = (messages: unknown[]) =>
      callJson("/ingest/batches", { body: { messages }, headers: AUTH });
    const customers = [customerRow(9951), customerRow(9952), customerRow(9953)];
    await send([chunk("job-defer", 0, "customers", customers)]);
    await waitForJob("job-defer");
    await send([chunk("job-defer", 1, "loans", [loanRow(99_501, 9951)])]);
    await waitForJob("job-defer");
    const held = loanRow(99_501, 9952, { row: 7 });
    const accepted = await send([
      {
        ...chunk("job-defer", 2, "loans", [held, loanRow(99_502, 9953, { row: 8 })]),
        defer_new_ids: true,
      },
    ]);
    expect(accepted.status).toBe(202);
    type Report = {
      loans: Record<string, number>;
      remapped_loans: { row: number; loan_id: number; seq?: number }[];
      deferred_loans: { seq: number; loan: unknown }[];
    };
    const report = async (jobId: string) => {
      await waitForJob(jobId);
      return (await callJson<Report>(`/ingest/jobs/${jobId}`, { headers: AUTH })).body;
    };
    const deferred = await report("job-defer");
    expect(deferred.loans).toMatchObject({ received: 3, landed: 2, rejected: 0, deferred: 1 });
    expect(deferred.deferred_loans).toEqual([{ seq: 2, loan: held }]);
    expect(deferred.remapped_loans).toEqual([]);
    // `?deferred_after=ROW` lists the deferred loans from the first row after ROW, so a client
    // pages past rows it sent again whose chunk died; the total still counts every one.
    const pageAfter = async (row: string) =>
      callJson<Report>(`/ingest/jobs/job-defer?deferred_after=${row}`, { headers: AUTH });
    expect((await pageAfter("6")).body.deferred_loans).toEqual([{ seq: 2, loan: held }]);
    const past = (await pageAfter("7")).body;
    expect(past.deferred_loans).toEqual([]);
    expect(past.loans).toMatchObject({ deferred: 1 });
    for (const bad of ["-1", "seven", "1.5", "99999999999999999"]) {
      const body = await expectProblem(
        await call(`/ingest/jobs/job-defer?deferred_after=${bad}`, { headers: AUTH }),
        400,
      );
      expect(body.errors).toEqual([
        {
          field: "deferred_after",
          message: "must be a row number (a whole number from 0 to 9007199254740991)",
        },
      ]);
    }
    expect(await loanRowsOf(9952)).toEqual([]);
    expect((await loanRowsOf(9953))[0]?.id).toBe(99_502);
    // The field is part of the chunk: its rows under its seq without it are another chunk.
    const unasked = chunk("job-defer", 2, "loans", [held, loanRow(99_502, 9953, { row: 8 })]);
    expect((await send([unasked])).status).toBe(409);

    // Sent again without the field, it takes a new id, and leaves the list.
    await send([chunk("job-defer", 3, "loans", [held])]);
    const landed = await report("job-defer");
    const [moved] = await loanRowsOf(9952);
    expect(moved?.id).toBeGreaterThan(99_502);
    expect(landed.loans).toMatchObject({ received: 4, landed: 3, deferred: 0 });
    expect(landed.deferred_loans).toEqual([]);
    expect(landed.remapped_loans).toEqual([
      { row: 7, customer_id: 9952, source_loan_id: 99_501, loan_id: moved?.id, seq: 3 },
    ]);

    // A client that does not ask (an older script, another caller) gets today's behaviour.
    await send([chunk("job-defer-not-asked", 0, "loans", [loanRow(99_502, 9951, { row: 9 })])]);
    const notAsked = await report("job-defer-not-asked");
    expect(notAsked.loans).toMatchObject({ received: 1, landed: 1, deferred: 0 });
    expect(notAsked.deferred_loans).toEqual([]);
    expect(notAsked.remapped_loans).toHaveLength(1);

    await expectRefusedSend(
      [
        {
          ...chunk("job-defer-bad", 0, "loans", [loanRow(99_503, 9951)]),
          defer_new_ids: "yes",
        } as unknown as ReturnType<typeof chunk>,
      ],
      { field: "messages.0.defer_new_ids", message: "must be true when present" },
    );
  });

  it("refuse a later row of a chunk repeating a loan's Loan ID and customer: the first row lands unchanged", async () => {
    // The script never sends such a pair; another client can. On the natural key the later row
    // used to overwrite the earlier loan, while both counted as landed and it read as remapped.
    await callJson("/ingest/batches", {
      body: { messages: [chunk("job-repeat", 0, "customers", [customerRow(9701)])] },
      headers: AUTH,
    });
    await waitForJob("job-repeat");
    const loans = chunk("job-repeat", 1, "loans", [
      loanRow(97_001, 9701),
      loanRow(97_001, 9701, { row: 97_002, loan_amount: 200_000, monthly_payment: 17_432.26 }),
    ]);
    await callJson("/ingest/batches", { body: { messages: [loans] }, headers: AUTH });
    await waitForJob("job-repeat");
    const { body } = await callJson<{
      loans: Record<string, number>;
      rejections: unknown[];
      remapped_loans: unknown[];
    }>("/ingest/jobs/job-repeat", { headers: AUTH });
    expect(body.loans).toMatchObject({ received: 2, landed: 1, rejected: 1, dead: 0 });
    expect(body.rejections).toEqual([
      {
        kind: "loans",
        row: 97_002,
        column: "loan_id",
        reason:
          "repeats Loan ID 97001 of customer 9701 from row 97001: a customer's loans cannot share a Loan ID, so only row 97001 is ingested",
        seq: 1,
      },
    ]);
    expect(body.remapped_loans).toEqual([]);
    const stored = await loanRowsOf(9701);
    expect(stored).toEqual([{ id: 97_001, source_loan_id: 97_001, loan_amount_paise: 10_000_000 }]);
  });

  it("refuse a later row of a chunk repeating a customer's id: the first row lands unchanged, counts are exact", async () => {
    // On the customer id the later row used to overwrite the earlier one in the same commit,
    // while both counted as landed.
    const customers = chunk("job-repeat-customer", 0, "customers", [
      customerRow(9801),
      customerRow(9801, { row: 9_900, first_name: "Later", monthly_salary: 90_000 }),
      customerRow(9801, { row: 9_901, phone_number: 8_100_009_801 }),
    ]);
    await callJson("/ingest/batches", { body: { messages: [customers] }, headers: AUTH });
    const done = await waitForJob("job-repeat-customer");
    expect(done.customers).toMatchObject({ received: 3, landed: 1, rejected: 2, dead: 0 });
    const { body } = await callJson<{ rejections: unknown[] }>("/ingest/jobs/job-repeat-customer", {
      headers: AUTH,
    });
    expect(body.rejections).toEqual(
      [9_900, 9_901].map((row) => ({
        kind: "customers",
        row,
        column: "customer_id",
        reason:
          "repeats Customer ID 9801 from row 9802: a customer has one row, so only row 9802 is ingested",
        seq: 0,
      })),
    );
    const stored = await backend().query<{ first_name: string; phone_number: number }>(
      "SELECT first_name, phone_number FROM customers WHERE id = ?",
      [9801],
    );
    expect(stored).toEqual([{ first_name: "First9801", phone_number: 8_000_009_801 }]);
  });

  it("update a customer repeated in a later chunk in place, as a second job would", async () => {
    // Chunks land in any order and are redelivered: across chunks a repeat is an upsert by design.
    const send = async (seq: number, row: ReturnType<typeof customerRow>) => {
      const message = chunk("job-repeat-customer-2", seq, "customers", [row]);
      await callJson("/ingest/batches", { body: { messages: [message] }, headers: AUTH });
      return waitForJob("job-repeat-customer-2");
    };
    await send(0, customerRow(9811));
    const done = await send(1, customerRow(9811, { row: 9_900, first_name: "Later" }));
    expect(done.customers).toMatchObject({ received: 2, landed: 2, rejected: 0 });
    const stored = await backend().query<{ first_name: string }>(
      "SELECT first_name FROM customers WHERE id = ?",
      [9811],
    );
    expect(stored).toEqual([{ first_name: "Later" }]);
  });

  it("re-ingesting never erases API payments: a paid loan keeps its ledger and its count", async () => {
    const customers = chunk("job-pay-0", 0, "customers", [customerRow(9301)]);
    await callJson("/ingest/batches", { body: { messages: [customers] }, headers: AUTH });
    await waitForJob("job-pay-0");
    // ₹1,00,000 at 12 % for 12 months from 2025-03-31, 2 EMIs on time: period 3 is due 2025-06-30.
    const row = loanRow(93_001, 9301, {
      interest_rate: 12,
      monthly_payment: 8884.88,
      emis_paid_on_time: 2,
      start_date: "2025-03-31",
      end_date: "2026-03-31",
    });
    const send = async (jobId: string, loan: typeof row) => {
      await callJson("/ingest/batches", {
        body: { messages: [chunk(jobId, 1, "loans", [loan])] },
        headers: AUTH,
      });
      await waitForJob(jobId);
    };
    await send("job-pay-1", row);
    const [loan] = await loanRowsOf(9301);
    const paid = await callJson(`/make-payment/9301/${loan?.id}`, { body: { amount: 8884.88 } });
    expect(paid.body).toMatchObject({ period: 3, on_time: true });

    await send("job-pay-2", row);
    await send("job-pay-3", { ...row, emis_paid_on_time: 5, loan_amount: 1 });
    const statement = await callJson<{ payments: { source: string }[] }>(
      `/view-statement/9301/${loan?.id}`,
    );
    expect(statement.body).toMatchObject({ principal: 100_000, emis_paid_on_time: 3 });
    expect(statement.body.payments.map((p) => p.source)).toEqual(["workbook", "workbook", "api"]);
  });

  it("accept a full send: 100 one-row chunks, registered and landed", async () => {
    const messages = Array.from({ length: 100 }, (_, i) =>
      chunk("job-full-send", i, "customers", [customerRow(95_000 + i)]),
    );
    const { status, body } = await callJson("/ingest/batches", {
      body: { messages },
      headers: AUTH,
    });
    expect(status).toBe(202);
    expect(body).toEqual({ accepted: 100, rows: 100 });
    const done = await waitForJob("job-full-send");
    expect(done.customers).toMatchObject({ chunks: 100, landed: 100, dead: 0 });
  });

  it("lands loans sent before their customers (the consumer retries them; see consumer.test.ts)", async () => {
    // One send, loans first: the consumer takes them in order, so the loans find no customer and
    // are retried, and land once the customers in the same batch have.
    const loans = chunk("job-order", 1, "loans", [loanRow(92_001, 9201)]);
    const customers = chunk("job-order", 0, "customers", [customerRow(9201)]);
    await callJson("/ingest/batches", { body: { messages: [loans, customers] }, headers: AUTH });
    const done = await waitForJob("job-order");
    expect(done.loans).toMatchObject({ landed: 1, dead: 0 });
  });

  it("land the valid rows of a queued chunk, rejecting alone each row the consumer's schema refuses", async () => {
    // Bypasses the endpoint's validation, as a message enqueued by an older release with looser
    // rules would: such a chunk used to be retried, then dead whole, its valid rows never landed.
    await backend().enqueue({
      ...chunk("job-stale-c", 0, "customers", [customerRow(9801)]),
      rows: [customerRow(9801), { ...customerRow(9802), age: "41" }],
    });
    const customers = await waitForJob("job-stale-c");
    expect(customers.customers).toMatchObject({ received: 2, landed: 1, rejected: 1, dead: 0 });
    await backend().enqueue(
      chunk("job-stale-l", 0, "loans", [
        loanRow(98_001, 9801),
        loanRow(98_002, 9801, { emis_paid_on_time: 13 }), // of a 12-month tenure
      ]),
    );
    await waitForJob("job-stale-l");
    const { body } = await callJson<{ loans: Record<string, number>; rejections: unknown[] }>(
      "/ingest/jobs/job-stale-l",
      { headers: AUTH },
    );
    expect(body.loans).toMatchObject({ received: 2, landed: 1, rejected: 1, dead: 0 });
    expect(body.rejections).toEqual([
      {
        kind: "loans",
        row: 98_002,
        column: "emis_paid_on_time",
        reason: "must not exceed the tenure",
        seq: 0,
      },
    ]);
    expect((await loanRowsOf(9801)).map((loan) => loan.id)).toEqual([98_001]);
    const rejected = await callJson<{ rejections: { column: string | null }[] }>(
      "/ingest/jobs/job-stale-c",
      { headers: AUTH },
    );
    expect(rejected.body.rejections).toEqual([
      expect.objectContaining({ kind: "customers", row: 9803, column: "age" }),
    ]);
  });

  it("record a message that is no chunk as dead at once, naming what is wrong with it", async () => {
    // Bypasses the endpoint's validation, as a corrupted message would: no retry can land it.
    // A row without its worksheet row number: no rejection could say which row it was.
    await backend().enqueue({
      job_id: "job-poison",
      seq: 0,
      kind: "loans",
      rows: [{ loan_id: 1 }],
    });
    const done = await waitForJob("job-poison");
    const { body } = await callJson<{ dead_chunks: unknown[] }>("/ingest/jobs/job-poison", {
      headers: AUTH,
    });
    expect(done.loans).toMatchObject({ dead: 1, landed: 0 });
    expect(body.dead_chunks).toEqual([
      {
        seq: 0,
        kind: "loans",
        rows: 1,
        attempts: 1,
        reason: "not a chunk the consumer can read (rows.0.row): never retried",
      },
    ]);
  });
});
