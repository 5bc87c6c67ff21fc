import { exports } from "cloudflare:workers";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createClient } from "../../src/client";
import { bytesToHex, sha256 } from "../../src/lib/sha256";
import { backend, type EnvOverrides } from "../support/backend";
import { uniquePhone } from "../support/http";
import { customerWithLoan } from "../support/servicing";
import { registerAndCheck } from "./readme-example";

/*
 * The typed client (hono's hc over the route contracts) against the Worker's own fetch handler
 * in workerd, on the test D1 database. `npm run typecheck` compiles this file and the README's
 * example: a call that does not match the contract fails the build.
 */

const BASE = "http://api.test";

function inProcess(overrides: EnvOverrides = {}): typeof fetch {
  return (input, init) => backend().fetch(new Request(input, init), overrides);
}

const client = createClient(BASE, { fetch: inProcess() });

describe("the typed client", () => {
  it("runs the README example: register, then check, with typed responses", async () => {
    const { customerId, decision } = await registerAndCheck(client);
    expectTypeOf(customerId).toEqualTypeOf<number>();
    expectTypeOf(decision.approval).toEqualTypeOf<boolean>();
    expectTypeOf(decision.corrected_interest_rate).toEqualTypeOf<number>();
    expectTypeOf(decision.reasons[0]?.code).toEqualTypeOf<
      | "CURRENT_LOANS_OVER_LIMIT"
      | "CREDIT_SCORE_TOO_LOW"
      | "OVER_APPROVED_LIMIT"
      | "EMI_OVER_HALF_SALARY"
      | undefined
    >();
    // A new customer scores 40: band 30–50, so the requested 10 % is raised to 12 %.
    expect(decision).toMatchObject({
      customer_id: customerId,
      approval: true,
      credit_score: 40,
      corrected_interest_rate: 12,
      monthly_installment: 8884.88,
      reasons: [],
    });
  });

  it("books with an Idempotency-Key header and reads the loan back by path parameter", async () => {
    const registered = await client.register.$post({
      json: {
        first_name: "Ravi",
        last_name: "Iyer",
        age: 41,
        monthly_income: 80_000,
        phone_number: uniquePhone(),
      },
    });
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
    const customer = await registered.json();

    const booked = await client["create-loan"].$post({
      json: {
        customer_id: customer.customer_id,
        loan_amount: 200_000,
        interest_rate: 14,
        tenure: 24,
      },
      header: { "idempotency-key": `typed-client-${customer.customer_id}` },
    });
    expect(booked.status).toBe(201);
    if (booked.status !== 201) return;
    const loan = await booked.json();
    // A 201 is a booked loan: its id and dates are never null (they were typed `| null`).
    expectTypeOf(loan.loan_id).toEqualTypeOf<number>();
    expectTypeOf(loan.loan_approved).toEqualTypeOf<true>();
    expectTypeOf(loan.end_date).toEqualTypeOf<string>();
    expect(loan.loan_approved).toBe(true);

    const viewed = await client["view-loan"][":loan_id"].$get({
      param: { loan_id: String(loan.loan_id) },
    });
    expect(viewed.status).toBe(200);
    if (viewed.status !== 200) return;
    const detail = await viewed.json();
    expectTypeOf(detail.customer.first_name).toEqualTypeOf<string>();
    expect(detail).toMatchObject({ loan_id: loan.loan_id, customer: { id: customer.customer_id } });

    const missing = await client["view-loans"][":customer_id"].$get({
      param: { customer_id: "999999" },
    });
    expect(missing.status).toBe(404);
  });

  it("reads a decision's record and a customer's decision history, typed", async () => {
    const registered = await client.register.$post({
      json: {
        first_name: "Uma",
        last_name: "Rao",
        age: 35,
        monthly_income: 10_000,
        phone_number: uniquePhone(),
      },
    });
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
    const { customer_id } = await registered.json();
    const refused = await client["create-loan"].$post({
      json: { customer_id, loan_amount: 5_000_000, interest_rate: 10, tenure: 12 },
    });
    if (refused.status !== 200) throw new Error(`create-loan answered ${refused.status}`);
    const { decision_id } = await refused.json();
    expectTypeOf(decision_id).toEqualTypeOf<string>();

    const viewed = await client.decisions[":decision_id"].$get({ param: { decision_id } });
    if (viewed.status !== 200) throw new Error(`decision answered ${viewed.status}`);
    const record = await viewed.json();
    expectTypeOf(record.outcome).toEqualTypeOf<"approved" | "refused">();
    expect(record.reasons[0]).toMatchObject({
      code: "OVER_APPROVED_LIMIT",
      principal_reason: expect.any(String),
    });

    const history = await client.customers[":customer_id"].decisions.$get({
      param: { customer_id: String(customer_id) },
      query: { limit: "10" },
    });
    if (history.status !== 200) throw new Error(`history answered ${history.status}`);
    const page = await history.json();
    expectTypeOf(page.next_cursor).toEqualTypeOf<string | null>();
    expect(page.decisions.map((d) => d.decision_id)).toEqual([decision_id]);
  });

  it("sends the API key when the deployment requires one", async () => {
    const key = "typed-client-key-5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b";
    const keysOn = { API_KEYS: `sha256:${bytesToHex(await sha256(key))}` };
    const keyless = createClient(BASE, { fetch: inProcess(keysOn) });
    const withKey = createClient(BASE, { fetch: inProcess(keysOn), apiKey: key });

    const loansOf = (api: typeof client) =>
      api["view-loans"][":customer_id"].$get({ param: { customer_id: "1" } });
    expect((await loansOf(keyless)).status).toBe(401);
    expect((await loansOf(withKey)).status).toBe(200);
  });

  it("pays towards a loan and reads its statement, typed end to end", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const paid = await client["make-payment"][":customer_id"][":loan_id"].$post({
      param: { customer_id: String(customerId), loan_id: String(loanId) },
      json: { amount: 8884.88 },
      header: { "idempotency-key": `client-${crypto.randomUUID()}` },
    });
    if (paid.status !== 201) throw new Error(`make-payment answered ${paid.status}`);
    const receipt = await paid.json();
    expectTypeOf(receipt.status).toEqualTypeOf<"active" | "closed">();
    expect(receipt).toMatchObject({ period: 1, monthly_installment: 8884.88, on_time: true });

    const refused = await client["make-payment"][":customer_id"][":loan_id"].$post({
      param: { customer_id: String(customerId), loan_id: String(loanId) },
      json: { amount: 1 },
    });
    expect(refused.status).toBe(422);

    const statement = await client["view-statement"][":customer_id"][":loan_id"].$get({
      param: { customer_id: String(customerId), loan_id: String(loanId) },
    });
    if (statement.status !== 200) throw new Error(`view-statement answered ${statement.status}`);
    const body = await statement.json();
    expectTypeOf(body.schedule[0]?.status).toEqualTypeOf<
      "paid" | "due" | "overdue" | "upcoming" | undefined
    >();
    expect(body.payments.map((p) => p.payment_id)).toEqual([receipt.payment_id]);
    expectTypeOf(body.monthly_installment_basis).toEqualTypeOf<"workbook" | "schedule">();
    expect(body.monthly_installment_basis).toBe("schedule");
  });

  it("reaches the Worker through a service binding, passed as ClientOptions.fetch says", async () => {
    // The Worker's own loopback binding stands in for a lender Worker's binding to this API. Its
    // fetch passed as it is (`fetch: binding.fetch`) throws Illegal invocation on the first call.
    const binding = (exports as unknown as { default: Fetcher }).default;
    const viaBinding = createClient(BASE, { fetch: (input, init) => binding.fetch(input, init) });
    const missing = await viaBinding["view-loans"][":customer_id"].$get({
      param: { customer_id: "999999" },
    });
    expect(missing.status).toBe(404);
  });

  it("sends back the latest x-d1-bookmark it was given, so its reads see its writes", async () => {
    const sent: (string | null)[] = [];
    const received: (string | null)[] = [];
    const recording = createClient(BASE, {
      fetch: async (input, init) => {
        const request = new Request(input, init);
        sent.push(request.headers.get("x-d1-bookmark"));
        const response = await backend().fetch(request);
        received.push(response.headers.get("x-d1-bookmark"));
        return response;
      },
    });
    const registered = await recording.register.$post({
      json: {
        first_name: "Mira",
        last_name: "Das",
        age: 35,
        monthly_income: 60_000,
        phone_number: uniquePhone(),
      },
    });
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
    const { customer_id } = await registered.json();
    await recording["view-loans"][":customer_id"].$get({
      param: { customer_id: String(customer_id) },
    });
    await recording["view-loans"][":customer_id"].$get({
      param: { customer_id: String(customer_id) },
    });
    expect(sent).toEqual([null, received[0], received[1]]);
    if (backend().name === "workers-d1") expect(received.every(Boolean)).toBe(true);
  });

  it("keeps the more recent x-d1-bookmark when answers to concurrent requests arrive out of order", async () => {
    const older = "00000000-0000001f-00000000-00000000000000000000000000000000";
    const newer = "00000000-00000020-00000000-00000000000000000000000000000000";
    const sent: (string | null)[] = [];
    // The answer carrying the newer bookmark arrives first, the older one after it.
    const answers = [newer, older, older];
    const recording = createClient(BASE, {
      fetch: async (input, init) => {
        sent.push(new Request(input, init).headers.get("x-d1-bookmark"));
        const bookmark = answers.shift() ?? older;
        return Response.json([], { headers: { "x-d1-bookmark": bookmark } });
      },
    });
    const read = () =>
      recording["view-loans"][":customer_id"].$get({ param: { customer_id: "1" } });
    await read();
    await read();
    await read();
    expect(sent).toEqual([null, newer, newer]);
  });

  it("types every documented error status and its problem body, as they arrive", async () => {
    // The statuses every route shares (400, 404, 429, 503, …) were missing from the response
    // type, so `status === 404` did not compile and a 409's body was typed as any JSON.
    const missing = await client["view-loans"][":customer_id"].$get({
      param: { customer_id: "999999" },
    });
    if (missing.status !== 404) throw new Error(`view-loans answered ${missing.status}`);
    const notFound = await missing.json();
    expectTypeOf(notFound.errors).toEqualTypeOf<{ field: string; message: string }[]>();
    expect(notFound).toMatchObject({
      status: 404,
      type: "/problems/not-found",
      errors: [{ field: "customer_id", message: "does not exist" }],
    });

    const invalid = await client["check-eligibility"].$post({
      json: { customer_id: 1, loan_amount: 0.001, interest_rate: 10, tenure: 12 },
    });
    if (invalid.status !== 400) throw new Error(`check-eligibility answered ${invalid.status}`);
    const problem = await invalid.json();
    expect(problem.errors.map((error) => error.field)).toEqual(["loan_amount"]);

    const phone = uniquePhone();
    const customer = {
      first_name: "Dev",
      last_name: "Sen",
      age: 30,
      monthly_income: 1,
      phone_number: phone,
    };
    await client.register.$post({ json: customer });
    const again = await client.register.$post({ json: customer });
    if (again.status !== 409) throw new Error(`register answered ${again.status}`);
    const conflict = await again.json();
    expectTypeOf(conflict.detail).toEqualTypeOf<string>();
    expect(conflict.errors).toEqual([{ field: "phone_number", message: "is already on file" }]);

    const refused = await client["make-payment"][":customer_id"][":loan_id"].$post({
      param: { customer_id: "1", loan_id: "999999" },
      json: { amount: 1 },
    });
    // make-payment's own refusals carry a code: its 422's body is the PaymentProblem.
    if (refused.status === 422) expectTypeOf((await refused.json()).code).toBeNullable();
    expectTypeOf<400 | 404 | 429 | 503>().toExtend<typeof refused.status>();
    expect(refused.status).toBe(404);
  });

  it("refuses, at compile time, calls that do not match the contract", () => {
    // Never called: only the compiler reads this. An unused @ts-expect-error fails typecheck too,
    // so these lines also prove the client is typed rather than `any`.
    const wrongCalls = () => {
      void client.register.$post({
        json: {
          first_name: "A",
          last_name: "B",
          // @ts-expect-error age is a number in the contract
          age: "30",
          monthly_income: 1,
          phone_number: 1_000_000,
        },
      });
      void client["check-eligibility"].$post({
        // @ts-expect-error tenure is required
        json: { customer_id: 1, loan_amount: 1, interest_rate: 1 },
      });
      // @ts-expect-error there is no such route
      void client["approve-everything"].$post();
    };
    expect(wrongCalls).toBeTypeOf("function");
  });
});
