import { describe, expect, it } from "vitest";
import { type DecisionRow, decisionRecords } from "../../src/db/schema";
import { decodeCursor } from "../../src/routes/decisions/cursor";
import { backend } from "../support/backend";
import { plainDecisionRows, replayEveryDecision } from "../support/decisions";
import { call, callJson, registerCustomer } from "../support/http";
import { chunk, customerRow, deliverOnce, loanRow } from "../support/ingest";
import { expectProblem } from "../support/problem";
import { registerOverLimitBorrower, seedLoan } from "../support/seed";
import { countDecisions } from "../support/table-counts";

/* Decision records (docs/decisions.md): stored with every create-loan, read back, replayed. */

type Json = Record<string, unknown>;
interface Page {
  decisions: Json[];
  next_cursor: string | null;
}

async function createLoan(body: Json, headers: Record<string, string> = {}) {
  return callJson("/create-loan", { body, headers });
}

function loanRequest(customer_id: number, loan_amount: number, interest_rate = 10, tenure = 12) {
  return { customer_id, loan_amount, interest_rate, tenure };
}

async function decision(decisionId: unknown) {
  const { status, body } = await callJson(`/decisions/${String(decisionId)}`);
  expect(status).toBe(200);
  return body;
}

/** A new customer with one repaid loan (₹40,000 at 11 %, 11 EMIs on time) booked ₹1,00,000. */
async function approvalAfterOneRepaidLoan() {
  const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
  const earlier = await seedLoan({
    customerId: customer_id,
    amount: 40_000,
    rate: 11,
    startDate: "2024-01-10",
    endDate: "2025-01-10",
    emisPaidOnTime: 11,
  });
  const response = await createLoan(loanRequest(customer_id, 100_000));
  expect(response.status).toBe(201);
  return { customer_id, earlier, response };
}

describe("the record of a create-loan decision", () => {
  it("stores an approval with its inputs, and says field for field what the response said", async () => {
    const { earlier, response } = await approvalAfterOneRepaidLoan();
    expect(response.body.decision_id).toMatch(/^[0-9a-f-]{36}$/);

    const record = await decision(response.body.decision_id);
    expect(record).toMatchObject(response.body);
    expect(record).toMatchObject({
      outcome: "approved",
      loan_id: response.body.loan_id,
      as_of_date: "2025-06-15",
      model_version: expect.stringMatching(/\S/),
      idempotency_key: null,
      decided_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      inputs: {
        monthly_salary: 50_000,
        approved_limit: 1_800_000,
        loans: [
          {
            loan_id: earlier,
            loan_amount: 40_000,
            interest_rate: 11,
            tenure: 12,
            emis_paid_on_time: 11,
            start_date: "2024-01-10",
            end_date: "2025-01-10",
          },
        ],
      },
    });
    const breakdown = record.score_breakdown as { points: number }[];
    expect(breakdown.reduce((sum, part) => sum + part.points, 0)).toBe(record.credit_score);
  });

  it("shows the day a repaid loan closed, which is why the decision left it out", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 100_000 });
    const first = await createLoan(loanRequest(customer_id, 2_000_000, 12, 120));
    expect(first.status).toBe(201);
    const loanId = first.body.loan_id as number;
    const statement = await callJson(`/view-statement/${customer_id}/${loanId}`);
    const payoff = (statement.body.next_installment as Json).payoff_amount;
    const paid = await callJson(`/make-payment/${customer_id}/${loanId}`, {
      body: { amount: payoff },
    });
    expect(paid.body).toMatchObject({ status: "closed" });

    // Both loans together would pass the limit and the 50 % rule: only the closed one's exclusion
    // approves the second, and the record must say so for a reader to replay it.
    const second = await createLoan(loanRequest(customer_id, 2_000_000, 12, 120));
    expect(second.body).toMatchObject({ loan_approved: true });
    const record = await decision(second.body.decision_id);
    expect((record.inputs as { loans: Json[] }).loans).toEqual([
      expect.objectContaining({ loan_id: loanId, closed_on: "2025-06-15", end_date: "2035-06-15" }),
    ]);
    const open = await decision(first.body.decision_id);
    expect((open.inputs as { loans: Json[] }).loans).toEqual([]);
  });

  it("stores a refusal with every reason and the principal reason a refusal letter gives", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 10_000 });
    const response = await createLoan(loanRequest(customer_id, 5_000_000));
    expect(response.status).toBe(200);

    const record = await decision(response.body.decision_id);
    expect(record).toMatchObject(response.body);
    expect(record).toMatchObject({ outcome: "refused", loan_approved: false, loan_id: null });
    expect(record.reasons).toEqual([
      {
        code: "OVER_APPROVED_LIMIT",
        message: expect.any(String),
        principal_reason: "Amount requested exceeds the available credit limit",
      },
      {
        code: "EMI_OVER_HALF_SALARY",
        message: expect.any(String),
        principal_reason: "Excessive obligations in relation to income",
      },
    ]);
  });

  it("names the score components that cost the most points when the score is too low", async () => {
    const customer_id = await registerOverLimitBorrower();
    const response = await createLoan(loanRequest(customer_id, 1_000));
    const record = await decision(response.body.decision_id);
    expect(record).toMatchObject(response.body);
    const reasons = record.reasons as {
      code: string;
      principal_reason: string;
      score_factors?: { component: string; points_lost: number; description: string }[];
    }[];
    expect(reasons.map((reason) => reason.code)).toEqual([
      "CURRENT_LOANS_OVER_LIMIT",
      "CREDIT_SCORE_TOO_LOW",
      "OVER_APPROVED_LIMIT",
    ]);
    const tooLow = reasons.find((reason) => reason.code === "CREDIT_SCORE_TOO_LOW");
    expect(tooLow?.principal_reason).toBe("Credit score below the minimum required");
    const factors = tooLow?.score_factors ?? [];
    expect(factors.length).toBeGreaterThan(0);
    expect(factors.length).toBeLessThanOrEqual(4);
    const lost = factors.map((factor) => factor.points_lost);
    expect(lost).toEqual([...lost].sort((a, b) => b - a));
    expect(factors.map((factor) => factor.component)).toContain("current_loans_over_limit");
    for (const factor of factors) expect(factor.description).toMatch(/\S/);
    // The other reasons name no score factors.
    expect(reasons.filter((reason) => reason.score_factors)).toHaveLength(1);
  });

  it("replays an idempotent request with the first decision_id and stores one record", async () => {
    const { customer_id } = await registerCustomer();
    const body = { customer_id, loan_amount: 50_000, interest_rate: 14, tenure: 24 };
    const key = `dec-${crypto.randomUUID()}`;
    const first = await createLoan(body, { "Idempotency-Key": key });
    const again = await createLoan(body, { "Idempotency-Key": key });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.decision_id).toBe(first.body.decision_id);
    expect(await countDecisions(customer_id)).toBe(1);
    expect(await decision(first.body.decision_id)).toMatchObject({
      ...first.body,
      idempotency_key: key,
    });

    const refusedKey = `${key}-refused`;
    const refusal = { ...body, loan_amount: 900_000_000 };
    const refused = await createLoan(refusal, { "Idempotency-Key": refusedKey });
    const refusedAgain = await createLoan(refusal, { "Idempotency-Key": refusedKey });
    expect(refusedAgain.body.decision_id).toBe(refused.body.decision_id);
    expect(await countDecisions(customer_id)).toBe(2);
  });

  it("reads and replays a record stored before migration 0009, with its own inputs", async () => {
    // The release before 0009 ran today's model and kept each record's inputs in the record, with
    // no key to stored ones. Such a record, made from one this release stored (its inputs put
    // together by the reference reading): it must read as that one does, and the replay at the
    // end of this file replays it from its own inputs.
    const { customer_id, response } = await approvalAfterOneRepaidLoan();
    const olderId = crypto.randomUUID();
    const rows = await plainDecisionRows(customer_id);
    const { seq: _seq, ...stored } = rows.find((row) => row.id === response.body.decision_id) ?? {};
    await backend()
      .database()
      .insert(decisionRecords)
      .values({ ...(stored as DecisionRow), id: olderId, inputsDigest: null });
    const [older] = await backend().query<{ inputs: string; inputs_digest: string | null }>(
      "SELECT inputs, inputs_digest FROM decision_records WHERE id = ?",
      [olderId],
    );
    expect(older?.inputs_digest).toBeNull();
    expect(older?.inputs).toMatch(/^\{"borrower":/);

    const shared = await decision(response.body.decision_id);
    expect(await decision(olderId)).toEqual({ ...shared, decision_id: olderId });
  });

  it("stores nothing for check-eligibility, a bad body or an unknown customer", async () => {
    const { customer_id } = await registerCustomer();
    const body = { customer_id, loan_amount: 50_000, interest_rate: 14, tenure: 24 };
    expect((await callJson("/check-eligibility", { body })).status).toBe(200);
    expect((await call("/create-loan", { body: { ...body, tenure: 0 } })).status).toBe(400);
    expect(await countDecisions(customer_id)).toBe(0);
    await expectProblem(await call("/create-loan", { body: { ...body, customer_id: 9e12 } }), 404);
  });
});

describe("GET /customers/{customer_id}/decisions", () => {
  it("lists newest first, in pages joined by an opaque cursor", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const ids: unknown[] = [];
    for (const tenure of [6, 12, 18, 24, 30]) {
      const { body } = await createLoan(loanRequest(customer_id, 10_000, 12, tenure));
      ids.push(body.decision_id);
    }
    const newestFirst = [...ids].reverse();

    const all = await callJson<Page>(`/customers/${customer_id}/decisions`);
    expect(all.status).toBe(200);
    expect(all.body.decisions.map((d) => d.decision_id)).toEqual(newestFirst);
    expect(all.body.next_cursor).toBeNull();

    const seen: unknown[] = [];
    let path = `/customers/${customer_id}/decisions?limit=2`;
    for (let page = 0; page < 5; page++) {
      const { status, body } = await callJson<Page>(path);
      expect(status).toBe(200);
      expect(body.decisions.length).toBeLessThanOrEqual(2);
      seen.push(...body.decisions.map((d) => d.decision_id));
      if (!body.next_cursor) break;
      expect(body.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      path = `/api/customers/${customer_id}/decisions/?limit=2&cursor=${body.next_cursor}`;
    }
    expect(seen).toEqual(newestFirst);
  });

  it("pages without skipping or repeating a record while decisions are written between and during them", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    const ids: unknown[] = [];
    for (const tenure of [6, 12, 18, 24, 30, 36]) {
      const { body } = await createLoan(loanRequest(customer_id, 10_000, 12, tenure));
      ids.push(body.decision_id);
    }
    const seen: unknown[] = [];
    let path = `/customers/${customer_id}/decisions?limit=2`;
    for (let page = 0; page < 6; page++) {
      // A refusal and an approval land before, and while, the page is read.
      await createLoan(loanRequest(customer_id, 900_000_000));
      const [{ body }] = await Promise.all([
        callJson<Page>(path),
        createLoan(loanRequest(customer_id, 1_000, 12, 6)),
      ]);
      seen.push(...body.decisions.map((d) => d.decision_id));
      if (!body.next_cursor) break;
      path = `/customers/${customer_id}/decisions?limit=2&cursor=${body.next_cursor}`;
    }
    // The first page starts at the newest when it is read; every later one right below the last.
    const first = seen.indexOf(ids.at(-1));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(seen.slice(first)).toEqual([...ids].reverse());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("refuses a cursor of another customer's decisions instead of paging from its position", async () => {
    // The first customer's decisions are older, so its cursor's position lies before both of the
    // second customer's: taken as a bare position it would answer an empty last page.
    const first = await registerCustomer({ monthly_income: 50_000 });
    const second = await registerCustomer({ monthly_income: 50_000 });
    for (const { customer_id } of [first, first, second, second]) {
      expect((await createLoan(loanRequest(customer_id, 10_000))).status).toBe(201);
    }
    const page = await callJson<Page>(`/customers/${first.customer_id}/decisions?limit=1`);
    const cursor = page.body.next_cursor;
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);

    const own = await callJson<Page>(`/customers/${first.customer_id}/decisions?cursor=${cursor}`);
    expect(own.body.decisions).toHaveLength(1);
    await expectProblem(
      await call(`/customers/${second.customer_id}/decisions?cursor=${cursor}`),
      400,
      "cursor",
    );
  });

  // On Cloudflare a page may be read by a replica. Without x-d1-bookmark the next page's session
  // started anywhere, so a replica older than the first page's could miss records just below the
  // cursor. The cursor carries the bookmark of the session that read the page, and the next
  // page's session starts from it (or from the header, when that is later). On libSQL there are
  // no sessions: the cursor has no bookmark and pages as before.
  it("starts the next page's session from the bookmark of the session that read the page", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    for (const tenure of [6, 12, 18]) {
      expect((await createLoan(loanRequest(customer_id, 10_000, 12, tenure))).status).toBe(201);
    }
    const first = await call(`/customers/${customer_id}/decisions?limit=1`);
    expect(first.status).toBe(200);
    const firstBookmark = first.headers.get("x-d1-bookmark");
    const { next_cursor: cursor } = (await first.json()) as Page;
    if (!cursor) throw new Error("expected a next page");
    const decoded = decodeCursor(cursor);
    expect(decoded).toMatchObject({ customerId: customer_id, bookmark: firstBookmark });

    const recorder = backend().recordSessionStarts?.();
    expect(recorder === undefined).toBe(backend().name !== "workers-d1");
    const next = `/customers/${customer_id}/decisions?limit=1&cursor=${cursor}`;

    // No header: the page is read from the cursor's bookmark on.
    const second = await callJson<Page>(next, { env: recorder?.overrides });
    expect(second.status).toBe(200);
    expect(second.body.decisions).toHaveLength(1);
    if (recorder) {
      expect(firstBookmark).toMatch(/^[0-9a-f-]{59}$/);
      expect(recorder.starts.at(-1)).toBe(firstBookmark);
      expect(second.headers.get("x-d1-bookmark")).toMatch(/^[0-9a-f-]{59}$/);
    } else {
      expect(firstBookmark).toBeNull();
      expect(second.headers.get("x-d1-bookmark")).toBeNull();
    }

    // A header later than the cursor's bookmark wins (in either case of hex, which the header
    // takes); an earlier one does not step it back.
    const written = await createLoan(loanRequest(customer_id, 900_000_000));
    const later = written.headers.get("x-d1-bookmark");
    const earlier = "00000000-00000000-00000000-00000000000000000000000000000000";
    const laterUpper = later?.toUpperCase() ?? null;
    for (const [header, expected] of [
      [later, later],
      [laterUpper, laterUpper],
      [earlier, firstBookmark],
    ] as const) {
      const page = await callJson<Page>(next, {
        env: recorder?.overrides,
        headers: header === null ? {} : { "x-d1-bookmark": header },
      });
      expect(page.status).toBe(200);
      expect(page.body.decisions).toEqual(second.body.decisions);
      if (recorder) {
        expect(String(later) > String(firstBookmark)).toBe(true);
        expect(recorder.starts.at(-1)).toBe(expected);
      }
    }
  });

  it("refuses a cursor whose bookmark was tampered with, and still takes one from before bookmarks", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 50_000 });
    for (const tenure of [6, 12]) {
      expect((await createLoan(loanRequest(customer_id, 10_000, 12, tenure))).status).toBe(201);
    }
    const { body } = await callJson<Page>(`/customers/${customer_id}/decisions?limit=1`);
    const decoded = decodeCursor(body.next_cursor ?? "");
    if (!decoded) throw new Error("expected a next page");
    const encode = (text: string) =>
      btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

    // A cursor handed out before they carried a bookmark pages as it did.
    const legacy = await callJson<Page>(
      `/customers/${customer_id}/decisions?cursor=${encode(`d2:${customer_id}:${decoded.seq}`)}`,
    );
    expect(legacy.status).toBe(200);
    expect(legacy.body.decisions).toHaveLength(1);

    // A well-formed one pages on every backend: without sessions (libSQL) its bookmark is unused.
    const bookmark = "0000004a-00000003-00004f9d-8d0f1c67d58b4ff3c24a2a4fbd0c3b7e";
    const withBookmark = await callJson<Page>(
      `/customers/${customer_id}/decisions?cursor=${encode(`d3:${customer_id}:${decoded.seq}:${bookmark}`)}`,
    );
    expect(withBookmark.status).toBe(200);
    expect(withBookmark.body.decisions).toEqual(legacy.body.decisions);

    for (const tampered of [
      `d3:${customer_id}:${decoded.seq}:${bookmark.slice(0, -1)}x`,
      `d3:${customer_id}:${decoded.seq}:not-a-bookmark`,
      `d3:${customer_id}:${decoded.seq}:`,
    ]) {
      await expectProblem(
        await call(`/customers/${customer_id}/decisions?cursor=${encode(tampered)}`),
        400,
        "cursor",
      );
    }
  });

  it("returns an empty page for a customer without decisions, 404 for an unknown one", async () => {
    const { customer_id } = await registerCustomer();
    const { status, body } = await callJson<Page>(`/customers/${customer_id}/decisions`);
    expect({ status, body }).toEqual({ status: 200, body: { decisions: [], next_cursor: null } });
    await expectProblem(await call("/customers/88888888/decisions"), 404);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=abc", "limit"],
    ["limit=1.5", "limit"],
    ["limit=-1", "limit"],
    ["limit=1&limit=2", "limit"],
    ["cursor=", "cursor"],
    ["cursor=not-a-cursor", "cursor"],
    ["cursor=%F0%9F%98%80", "cursor"],
    [`cursor=${btoa("d1:0")}`, "cursor"],
    [`cursor=${btoa("d2:1:0")}`, "cursor"],
  ])("answers ?%s with a 400 naming %s", async (query, field) => {
    const { customer_id } = await registerCustomer();
    await expectProblem(await call(`/customers/${customer_id}/decisions?${query}`), 400, field);
  });

  it.each(["limit=1&limit=2", "cursor=a&cursor=b"])(
    "says in its own words that ?%s gives a parameter twice",
    async (query) => {
      const { customer_id } = await registerCustomer();
      const problem = await expectProblem(
        await call(`/customers/${customer_id}/decisions?${query}`),
        400,
      );
      expect(problem.errors).toEqual([
        { field: query.slice(0, query.indexOf("=")), message: "must be given once" },
      ]);
    },
  );

  it("answers a bad customer id with 400", async () => {
    await expectProblem(await call("/customers/0/decisions"), 400, "customer_id");
    await expectProblem(await call("/customers/abc/decisions"), 400, "customer_id");
  });
});

describe("GET /decisions/{decision_id}", () => {
  it("answers an unknown id with 404 and a malformed one with 400", async () => {
    await expectProblem(await call(`/decisions/${crypto.randomUUID()}`), 404);
    await expectProblem(await call("/decisions/123"), 400, "decision_id");
    await expectProblem(
      await call(`/decisions/${crypto.randomUUID().toUpperCase()}`),
      400,
      "decision_id",
    );
  });

  it("allows only GET", async () => {
    const response = await call(`/decisions/${crypto.randomUUID()}`, { method: "POST" });
    expect(response.status).toBe(405);
  });
});

// Last: tests in a file run in order, so this sees every record the tests above stored. A test,
// not an afterAll: a `-t` run of some other test skips it instead of failing on an empty table.
describe("a decision whose customer is ingested again", () => {
  it("keeps the salary, limit and loans it read, and replays from them", async () => {
    const customerId = 940_001;
    const job = crypto.randomUUID();
    const db = backend().database();
    expect(await deliverOnce(db, chunk(job, 1, "customers", [customerRow(customerId)]))).toEqual([
      "ack",
    ]);
    const first = loanRow(940_101, customerId, { emis_paid_on_time: 3 });
    expect(await deliverOnce(db, chunk(job, 2, "loans", [first]))).toEqual(["ack"]);
    const { status, body } = await createLoan(loanRequest(customerId, 10_000));
    expect(status).toBe(201);
    const before = await decision(body.decision_id);

    // The lender's corrected workbooks: another salary and limit, the loan's count and amount.
    const again = crypto.randomUUID();
    const corrected = customerRow(customerId, { monthly_salary: 20_000, approved_limit: 700_000 });
    expect(await deliverOnce(db, chunk(again, 1, "customers", [corrected]))).toEqual(["ack"]);
    const changed = { ...first, loan_amount: 90_000, emis_paid_on_time: 12 };
    expect(await deliverOnce(db, chunk(again, 2, "loans", [changed]))).toEqual(["ack"]);
    const [stored] = await backend().query<{ n: number }>(
      "SELECT emis_paid_on_time AS n FROM loans WHERE source_loan_id = ?",
      [first.loan_id],
    );
    expect(stored?.n).toBe(12);

    expect(await decision(body.decision_id)).toEqual(before);
    expect(before.inputs).toMatchObject({
      monthly_salary: 50_000,
      approved_limit: 1_800_000,
      loans: [expect.objectContaining({ loan_amount: 100_000, emis_paid_on_time: 3 })],
    });
  });
});

it("replays every decision record this file's requests stored to its stored outcome", async () => {
  expect(await replayEveryDecision()).toBeGreaterThanOrEqual(10);
});
