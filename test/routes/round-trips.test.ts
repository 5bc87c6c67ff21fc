import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { countingD1 } from "../../src/worker/counting-d1";
import { type CallOptions, call, callJson, registerCustomer, uniquePhone } from "../support/http";
import { seedLoan, seedWideRepaidLoans } from "../support/seed";

const SERVER_TIMING = /^db;dur=(\d+\.\d);desc="(\d+) round trips"$/;

/**
 * Runs one request against a D1 binding that counts the round trips reaching it, and reads the
 * Worker's own count from its Server-Timing header (null when there is none).
 */
async function roundTripsOf(path: string, options: CallOptions = {}) {
  const { database, counter } = countingD1(env.DB);
  const started = performance.now();
  const response = await callJson(path, { ...options, env: { ...options.env, DB: database } });
  return {
    status: response.status,
    body: response.body,
    roundTrips: counter.roundTrips,
    serverTiming: response.headers.get("Server-Timing"),
    elapsedMs: performance.now() - started,
  };
}

async function latestDecisionId(customerId: number): Promise<string> {
  const row = await env.DB.prepare(
    "SELECT id FROM decision_records WHERE customer_id = ? ORDER BY seq DESC LIMIT 1",
  )
    .bind(customerId)
    .first<{ id: string }>();
  if (!row) throw new Error("no decision recorded");
  return row.id;
}

/** One request per endpoint case, in order (the replay needs the keyed booking first). */
async function everyEndpoint(options: CallOptions = {}) {
  const { customer_id } = await registerCustomer();
  const loanId = await seedLoan({
    customerId: customer_id,
    amount: 10_000,
    startDate: "2024-01-01",
    endDate: "2025-01-01",
    emisPaidOnTime: 12,
  });
  const openLoanId = await seedLoan({
    customerId: customer_id,
    amount: 10_000,
    startDate: "2025-05-31",
    endDate: "2026-05-31",
  });
  const payPath = `/make-payment/${customer_id}/${openLoanId}`;
  const payKey = `rt-pay-${crypto.randomUUID()}`;
  const loanBody = { customer_id, loan_amount: 50_000, interest_rate: 14, tenure: 24 };
  const key = `rt-${crypto.randomUUID()}`;
  const call = (path: string, more: CallOptions = {}) =>
    roundTripsOf(path, { ...options, ...more });
  const registerBody = {
    first_name: "A",
    last_name: "B",
    age: 30,
    monthly_income: 40_000,
    phone_number: uniquePhone(),
  };
  const registerKey = { "Idempotency-Key": `rt-register-${crypto.randomUUID()}` };
  return {
    register: await call("/register", { body: { ...registerBody, phone_number: uniquePhone() } }),
    registerWithKey: await call("/register", { body: registerBody, headers: registerKey }),
    registerReplay: await call("/register", { body: registerBody, headers: registerKey }),
    viewLoan: await call(`/view-loan/${loanId}`),
    viewLoans: await call(`/view-loans/${customer_id}`),
    checkEligibility: await call("/check-eligibility", { body: loanBody }),
    createLoan: await call("/create-loan", { body: loanBody }),
    createLoanWithKey: await call("/create-loan", {
      body: loanBody,
      headers: { "Idempotency-Key": key },
    }),
    createLoanReplay: await call("/create-loan", {
      body: loanBody,
      headers: { "Idempotency-Key": key },
    }),
    createLoanRefused: await call("/create-loan", {
      body: { ...loanBody, loan_amount: 900_000_000 },
    }),
    makePayment: await call(payPath, { body: { amount: 1000 } }),
    makePaymentWithKey: await call(payPath, {
      body: { amount: 1000 },
      headers: { "Idempotency-Key": payKey },
    }),
    makePaymentReplay: await call(payPath, {
      body: { amount: 1000 },
      headers: { "Idempotency-Key": payKey },
    }),
    makePaymentRefused: await call(payPath, { body: { amount: 1 } }),
    viewStatement: await call(`/view-statement/${customer_id}/${openLoanId}`),
    createLoanRefusedWithKey: await call("/create-loan", {
      body: { ...loanBody, loan_amount: 900_000_000 },
      headers: { "Idempotency-Key": `${key}-refused` },
    }),
    createLoanRefusedReplay: await call("/create-loan", {
      body: { ...loanBody, loan_amount: 900_000_000 },
      headers: { "Idempotency-Key": `${key}-refused` },
    }),
    viewDecision: await call(`/decisions/${await latestDecisionId(customer_id)}`),
    ...(await decisionPages(call, customer_id)),
    readyz: await call("/readyz"),
    ...(await atTheLoanBound(call)),
  };
}

/**
 * The first two pages of a customer's decisions: the second reopens its session from the first's
 * bookmark, which its cursor carries, before its one query (withSession is no round trip).
 */
async function decisionPages(
  call: (path: string, more?: CallOptions) => ReturnType<typeof roundTripsOf>,
  customerId: number,
) {
  const path = `/customers/${customerId}/decisions?limit=2`;
  const listDecisions = await call(path);
  const cursor = (listDecisions.body as { next_cursor?: unknown }).next_cursor;
  if (typeof cursor !== "string") throw new Error("expected a second page of decisions");
  return { listDecisions, listDecisionsNextPage: await call(`${path}&cursor=${cursor}`) };
}

/**
 * check-eligibility and create-loan for a customer who holds LOANS_PER_CUSTOMER_AT_MOST loans:
 * refused on the count, in the read's round trip, their loans never read.
 */
async function atTheLoanBound(
  call: (path: string, more?: CallOptions) => ReturnType<typeof roundTripsOf>,
) {
  const { customer_id } = await registerCustomer();
  await seedWideRepaidLoans(
    customer_id,
    8_000_000_000 + customer_id * 10_000,
    LOANS_PER_CUSTOMER_AT_MOST,
  );
  const body = { customer_id, loan_amount: 10_000, interest_rate: 14, tenure: 12 };
  return {
    checkEligibilityAtBound: await call("/check-eligibility", { body }),
    createLoanAtBound: await call("/create-loan", { body }),
    createLoanAtBoundWithKey: await call("/create-loan", {
      body,
      headers: { "Idempotency-Key": `rt-bound-${crypto.randomUUID()}` },
    }),
  };
}

describe("D1 round trips per request", () => {
  it("stays within the budget on every endpoint", async () => {
    const measured = await everyEndpoint();
    const counts = Object.fromEntries(
      Object.entries(measured).map(([name, { status, roundTrips }]) => [
        name,
        { status, roundTrips },
      ]),
    );
    expect(counts).toEqual({
      register: { status: 201, roundTrips: 1 },
      // The write comes first: a replay is that write finding the phone number on file, then a read.
      registerWithKey: { status: 201, roundTrips: 1 },
      registerReplay: { status: 201, roundTrips: 2 },
      viewLoan: { status: 200, roundTrips: 1 },
      viewLoans: { status: 200, roundTrips: 1 },
      checkEligibility: { status: 200, roundTrips: 1 },
      createLoan: { status: 201, roundTrips: 2 },
      createLoanWithKey: { status: 201, roundTrips: 2 },
      createLoanReplay: { status: 201, roundTrips: 1 },
      makePayment: { status: 201, roundTrips: 2 },
      makePaymentWithKey: { status: 201, roundTrips: 2 },
      makePaymentReplay: { status: 201, roundTrips: 1 },
      makePaymentRefused: { status: 422, roundTrips: 1 },
      viewStatement: { status: 200, roundTrips: 1 },
      // The refusal's decision record is the second round trip.
      createLoanRefused: { status: 200, roundTrips: 2 },
      createLoanRefusedWithKey: { status: 200, roundTrips: 2 },
      createLoanRefusedReplay: { status: 200, roundTrips: 1 },
      viewDecision: { status: 200, roundTrips: 1 },
      listDecisions: { status: 200, roundTrips: 1 },
      listDecisionsNextPage: { status: 200, roundTrips: 1 },
      // One read of d1_migrations: the database answers, no migration missing, none unknown.
      readyz: { status: 200, roundTrips: 1 },
      // Refused on the count that comes with the borrower's read: nothing more is read or written.
      checkEligibilityAtBound: { status: 409, roundTrips: 1 },
      createLoanAtBound: { status: 409, roundTrips: 1 },
      createLoanAtBoundWithKey: { status: 409, roundTrips: 1 },
    });
  });

  it("reports the same count in Server-Timing when SERVER_TIMING is true", async () => {
    const measured = await everyEndpoint({ env: { SERVER_TIMING: "true" } });
    for (const [name, { roundTrips, serverTiming, elapsedMs }] of Object.entries(measured)) {
      const match = SERVER_TIMING.exec(serverTiming ?? "");
      expect(match, `${name}: Server-Timing ${serverTiming}`).not.toBeNull();
      expect({ name, header: Number(match?.[2]) }).toEqual({ name, header: roundTrips });
      // Time spent awaiting D1 is part of the request's time (0.05: dur is rounded to 0.1 ms).
      expect(Number(match?.[1]), name).toBeLessThanOrEqual(elapsedMs + 0.05);
    }
    // The budget test's counts, so a header that always said 0 could not pass.
    expect(measured.createLoan.roundTrips).toBe(2);
  });

  it("sends no Server-Timing header while SERVER_TIMING is unset, empty or an off word", async () => {
    for (const setting of [undefined, "", "false", "0", "Off"]) {
      const measured = await everyEndpoint(
        setting === undefined ? {} : { env: { SERVER_TIMING: setting } },
      );
      for (const [name, { serverTiming, roundTrips }] of Object.entries(measured)) {
        expect({ setting, name, serverTiming }).toEqual({ setting, name, serverTiming: null });
        expect(roundTrips).toBeGreaterThan(0);
      }
    }
  });

  it("reports a request that never reaches D1 as 0 round trips", async () => {
    const { serverTiming, roundTrips } = await roundTripsOf("/openapi.json", {
      env: { SERVER_TIMING: "true" },
    });
    expect(roundTrips).toBe(0);
    expect(serverTiming).toMatch(/^db;dur=0\.0;desc="0 round trips"$/);
  });

  it("leaves the other headers (security, CORS, cache) as they were", async () => {
    const { customer_id } = await registerCustomer();
    const origin = "https://console.example";
    const options = { headers: { Origin: origin }, env: { CORS_ORIGINS: origin } };
    const plain = await call(`/view-loans/${customer_id}`, options);
    const timed = await call(`/view-loans/${customer_id}`, {
      ...options,
      env: { ...options.env, SERVER_TIMING: "true" },
    });
    // Everything but the request id and D1 bookmark (fresh per request) and the added header.
    const others = (response: Response) =>
      [...response.headers].filter(
        ([name]) => !["x-request-id", "x-d1-bookmark", "server-timing"].includes(name),
      );
    expect(timed.status).toBe(200);
    expect(others(timed)).toEqual(others(plain));
    expect(timed.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    expect(timed.headers.get("Cache-Control")).toBe("no-store");
    expect(timed.headers.get("Server-Timing")).toMatch(SERVER_TIMING);
  });
});
