import { beforeAll, expect, it } from "vitest";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { bytesToHex, sha256 } from "../../src/lib/sha256";
import { backend } from "../support/backend";
import { type ApiDocument, answerChecker } from "../support/documented-answer";
import { type CallOptions, call, callJson, registerCustomer, registration } from "../support/http";
import { storeLegacyLoan } from "../support/legacy-loan";
import { seedWideRepaidLoans } from "../support/seed";
import { customerWithLoan } from "../support/servicing";
import { writeLimit } from "../support/write-limit";

/*
 * A lender's engineer integrates from GET /openapi.json alone: every answer the API gives must be
 * one the document declares, for its operation and status, with the body's schema and fields and
 * the headers it lists. Each operation is driven here through its success and each refusal a
 * client can provoke, on each runtime, and every answer checked against the served document.
 */

let mismatches: ReturnType<typeof answerChecker>;

beforeAll(async () => {
  mismatches = answerChecker((await callJson<ApiDocument>("/openapi.json")).body as ApiDocument);
});

/** Calls `url` and returns the status and what does not match `path`'s operation in the document. */
async function checked(path: string, url: string, options: CallOptions = {}) {
  const response = await call(url, options);
  const text = await response.text();
  return { status: response.status, mismatches: mismatches(path, response, text) };
}

const PAYMENT = "/make-payment/{customer_id}/{loan_id}";
const STATEMENT = "/view-statement/{customer_id}/{loan_id}";
const terms = { loan_amount: 100_000, interest_rate: 12, tenure: 12 };

it("answers register, check-eligibility and create-loan only as the document declares", async () => {
  const { customer_id } = await registerCustomer();
  const phone = registration();
  const key = { "Idempotency-Key": `documented-${crypto.randomUUID()}` };
  const apiKeys = { API_KEYS: `sha256:${bytesToHex(await sha256("documented-answers-key"))}` };
  const limited = writeLimit(1);
  const atBound = (await registerCustomer({ monthly_income: 900_000 })).customer_id;
  await seedWideRepaidLoans(atBound, 9_007_198_000_000_000, LOANS_PER_CUSTOMER_AT_MOST);
  const loan = { customer_id, ...terms };
  const answers = [
    await checked("/register", "/register", { body: phone }),
    await checked("/register", "/register", { body: phone }), // the phone number is on file
    await checked("/register", "/register", { body: { age: "30" } }),
    await checked("/register", "/register", { rawBody: "{" }),
    await checked("/register", "/register", {
      rawBody: "{}",
      headers: { "Content-Type": "text/plain" },
    }),
    await checked("/register", "/register", { body: {}, headers: { "Content-Encoding": "gzip" } }),
    await checked("/register", "/register", { body: { first_name: "a".repeat(70_000) } }),
    await checked("/register", "/register", { method: "PUT", body: {} }),
    await checked("/register", "/register", { body: registration(), env: apiKeys }),
    await checked("/register", "/register", { body: registration(), env: limited }),
    await checked("/register", "/register", { body: registration(), env: limited }),
    await checked("/check-eligibility", "/check-eligibility", { body: loan }),
    await checked("/check-eligibility", "/check-eligibility", {
      body: { ...loan, loan_amount: 1e9 },
    }),
    await checked("/check-eligibility", "/check-eligibility", {
      body: { ...loan, customer_id: 9e15 },
    }),
    await checked("/check-eligibility", "/check-eligibility", {
      body: { ...loan, customer_id: atBound },
    }),
    await checked("/check-eligibility", "/check-eligibility", { body: { ...loan, tenure: 0 } }),
    await checked("/create-loan", "/create-loan", { body: loan, headers: key }),
    await checked("/create-loan", "/create-loan", { body: loan, headers: key }), // replayed
    await checked("/create-loan", "/create-loan", { body: { ...loan, tenure: 24 }, headers: key }),
    await checked("/create-loan", "/create-loan", { body: { ...loan, loan_amount: 1e9 } }),
    await checked("/create-loan", "/create-loan", { body: { ...loan, customer_id: 9e15 } }),
    await checked("/create-loan", "/create-loan", { body: { ...loan, customer_id: atBound } }),
    await checked("/create-loan", "/create-loan", {
      body: { ...loan, loan_amount: 0.01, tenure: 600 },
    }),
    await checked("/create-loan", "/create-loan", {
      body: loan,
      headers: { "Idempotency-Key": "a b" },
    }),
  ];
  expect(answers.map(({ status }) => status)).toEqual([
    201, 409, 400, 400, 415, 415, 413, 405, 401, 201, 429, 200, 200, 404, 409, 400, 201, 201, 422,
    200, 404, 409, 400, 400,
  ]);
  expect(
    answers.flatMap(({ status, mismatches }) => mismatches.map((m) => `${status}: ${m}`)),
  ).toEqual([]);
});

// A 503 without Retry-After: no customer id left below 2^53 (test/routes/id-range.test.ts).
it("answers a 503 only as the document declares", async () => {
  const { customer_id } = await registerCustomer();
  const move = (from: number, to: number) =>
    backend().query("UPDATE customers SET id = ? WHERE id = ?", [to, from]);
  await move(customer_id, Number.MAX_SAFE_INTEGER);
  try {
    const answer = await checked("/register", "/register", { body: registration() });
    expect(answer).toEqual({ status: 503, mismatches: [] });
  } finally {
    await move(Number.MAX_SAFE_INTEGER, customer_id);
  }
});

it("answers the loan and payment operations only as the document declares", async () => {
  const { customerId, loanId } = await customerWithLoan();
  const legacyId = await storeLegacyLoan(backend().database(), customerId);
  // Starts after the as-of date: a payment is refused as the loan has not started.
  const notStarted = await storeLegacyLoan(backend().database(), customerId, {
    tenure: 12,
    startDate: "2030-01-01",
    endDate: "2031-01-01",
  });
  const payment = `/make-payment/${customerId}/${loanId}`;
  const key = { "Idempotency-Key": `documented-${crypto.randomUUID()}` };
  const answers = [
    await checked("/view-loan/{loan_id}", `/view-loan/${loanId}`),
    await checked("/view-loan/{loan_id}", `/view-loan/${legacyId}`),
    await checked("/view-loan/{loan_id}", "/view-loan/99999999"),
    await checked("/view-loan/{loan_id}", "/view-loan/abc"),
    await checked("/view-loan/{loan_id}", `/view-loan/${loanId}`, { method: "POST", body: {} }),
    await checked("/view-loans/{customer_id}", `/view-loans/${customerId}`),
    await checked("/view-loans/{customer_id}", "/view-loans/99999999"),
    await checked("/view-loans/{customer_id}", "/view-loans/0"),
    await checked(STATEMENT, `/view-statement/${customerId}/${loanId}`),
    await checked(STATEMENT, `/view-statement/${customerId}/${legacyId}`), // beyond the calendar
    await checked(STATEMENT, `/view-statement/${customerId}/99999999`),
    await checked(PAYMENT, payment, { body: { amount: 8884.88 }, headers: key }),
    await checked(PAYMENT, payment, { body: { amount: 8884.88 }, headers: key }), // replayed
    await checked(PAYMENT, payment, { body: { amount: 9000 }, headers: key }),
    await checked(PAYMENT, payment, { body: { amount: 1 } }),
    await checked(PAYMENT, payment, { body: { amount: 10_000_000 } }),
    await checked(PAYMENT, payment, { body: { amount: "x" } }),
    await checked(PAYMENT, `/make-payment/${customerId}/${legacyId}`, { body: { amount: 100 } }),
    await checked(PAYMENT, `/make-payment/${customerId}/${notStarted}`, { body: { amount: 100 } }),
    await checked(PAYMENT, `/make-payment/${customerId}/99999999`, { body: { amount: 100 } }),
  ];
  expect(answers.map(({ status }) => status)).toEqual([
    200, 200, 404, 400, 405, 200, 404, 400, 200, 409, 404, 201, 201, 422, 422, 422, 400, 409, 409,
    404,
  ]);
  expect(
    answers.flatMap(({ status, mismatches }) => mismatches.map((m) => `${status}: ${m}`)),
  ).toEqual([]);
});

it("answers the decision records only as the document declares", async () => {
  const { customer_id } = await registerCustomer();
  for (const loan_amount of [100_000, 1e9]) {
    await call("/create-loan", { body: { customer_id, ...terms, loan_amount } });
  }
  const list = "/customers/{customer_id}/decisions";
  const page = await callJson<{ decisions: { decision_id: string }[]; next_cursor: string }>(
    `/customers/${customer_id}/decisions?limit=1`,
  );
  const [first] = page.body.decisions;
  const answers = [
    await checked(list, `/customers/${customer_id}/decisions?limit=1`),
    await checked(list, `/customers/${customer_id}/decisions?cursor=${page.body.next_cursor}`),
    await checked(list, `/customers/${customer_id}/decisions?limit=101`),
    await checked(list, `/customers/${customer_id}/decisions?cursor=zzz`),
    await checked(list, "/customers/99999999/decisions"),
    await checked("/decisions/{decision_id}", `/decisions/${first?.decision_id}`),
    await checked("/decisions/{decision_id}", `/decisions/${crypto.randomUUID()}`),
    await checked("/decisions/{decision_id}", "/decisions/42"),
  ];
  expect(answers.map(({ status }) => status)).toEqual([200, 200, 400, 400, 404, 200, 404, 400]);
  expect(
    answers.flatMap(({ status, mismatches }) => mismatches.map((m) => `${status}: ${m}`)),
  ).toEqual([]);
});

it("flags an empty answer on a status whose document declares a JSON body", () => {
  // A made-up document: the check itself, not the API, is under test here.
  const check = answerChecker({
    paths: {
      "/thing": {
        get: {
          responses: {
            "200": { content: { "application/json": { schema: { type: "object" } } } },
            "204": {},
          },
        },
      },
    },
    components: { schemas: {} },
  } as unknown as ApiDocument);
  const json = { "content-type": "application/json" };
  expect(check("/thing", new Response(null, { status: 200, headers: json }), "")).toEqual([
    "status 200 is declared with a body, got none",
  ]);
  expect(check("/thing", new Response(null, { status: 204 }), "")).toEqual([]);
});
