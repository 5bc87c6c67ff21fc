import type { hc } from "hono/client";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type AppType, type CreditClient, createClient } from "../../src/client";
import { backend } from "../support/backend";
import { uniquePhone } from "../support/http";
import { customerWithLoan } from "../support/servicing";

/*
 * create-loan and make-payment take an optional Idempotency-Key. hono's client typed their `header`
 * argument as required all the same, so a call without a key did not compile unless it passed
 * `header: {}`. `npm run typecheck` compiles the calls below; the suite runs them against the Worker.
 */

const client = createClient("http://api.test", {
  fetch: (input, init) => backend().fetch(new Request(input, init)),
});

async function newCustomer() {
  const registered = await client.register.$post({
    json: {
      first_name: "Nina",
      last_name: "Kapoor",
      age: 38,
      monthly_income: 80_000,
      phone_number: uniquePhone(),
    },
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  return (await registered.json()).customer_id;
}

describe("the typed client's Idempotency-Key header", () => {
  it("books a loan with no header argument, and with a key replays the first answer", async () => {
    const customer_id = await newCustomer();
    const loan = { customer_id, loan_amount: 100_000, interest_rate: 14, tenure: 24 };

    const plain = await client["create-loan"].$post({ json: loan });
    if (plain.status !== 201) throw new Error(`create-loan answered ${plain.status}`);
    expect((await plain.json()).loan_approved).toBe(true);

    const key = `optional-header-${crypto.randomUUID()}`;
    const keyed = () =>
      client["create-loan"].$post({ json: loan, header: { "idempotency-key": key } });
    const first = await keyed();
    const again = await keyed();
    if (first.status !== 201 || again.status !== 201) throw new Error("create-loan did not book");
    const booked = await first.json();
    expect(booked.loan_id).not.toBeNull();
    expect(await again.json()).toEqual(booked);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("takes a payment with no header argument, and with a key replays the first receipt", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const param = { customer_id: String(customerId), loan_id: String(loanId) };
    const payments = client["make-payment"][":customer_id"][":loan_id"];

    const plain = await payments.$post({ param, json: { amount: 8884.88 } });
    if (plain.status !== 201) throw new Error(`make-payment answered ${plain.status}`);
    expect((await plain.json()).period).toBe(1);

    const key = `optional-header-${crypto.randomUUID()}`;
    const keyed = () =>
      payments.$post({ param, json: { amount: 8884.88 }, header: { "idempotency-key": key } });
    const first = await keyed();
    const again = await keyed();
    if (first.status !== 201 || again.status !== 201) throw new Error("make-payment did not pay");
    const receipt = await first.json();
    expect(receipt.period).toBe(2);
    expect(await again.json()).toEqual(receipt);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("types everything else as hono's client does", () => {
    type Hc = ReturnType<typeof hc<AppType>>;
    type Booked = Awaited<ReturnType<CreditClient["create-loan"]["$post"]>>;
    expectTypeOf<Booked>().toEqualTypeOf<Awaited<ReturnType<Hc["create-loan"]["$post"]>>>();
    type Eligibility = CreditClient["check-eligibility"]["$post"];
    expectTypeOf<Eligibility>().toEqualTypeOf<Hc["check-eligibility"]["$post"]>();
    type ViewLoan = CreditClient["view-loan"][":loan_id"];
    expectTypeOf<ViewLoan["$url"]>().toEqualTypeOf<Hc["view-loan"][":loan_id"]["$url"]>();
  });

  it("still refuses, at compile time, a wrong body or header and an un-narrowed status", () => {
    // Never called: only the compiler reads this (an unused @ts-expect-error fails typecheck).
    const wrongCalls = async () => {
      const json = { customer_id: 1, loan_amount: 1, interest_rate: 1, tenure: 12 };
      // @ts-expect-error the body is required
      void client["create-loan"].$post({});
      // @ts-expect-error tenure is a number in the contract
      void client["create-loan"].$post({ json: { ...json, tenure: "12" } });
      // @ts-expect-error the header is Idempotency-Key, nothing else
      void client["create-loan"].$post({ json, header: { "idempotency-kee": "k" } });
      const booked = await client["create-loan"].$post({ json });
      // @ts-expect-error a problem body (409, 422, 429, …) has no decision_id: narrow on status
      void (await booked.json()).decision_id;
      expectTypeOf<201 | 200 | 409 | 422 | 429>().toExtend<typeof booked.status>();

      const payments = client["make-payment"][":customer_id"][":loan_id"];
      // @ts-expect-error the path parameters are required
      void payments.$post({ json: { amount: 1 } });
      const paid = await payments.$post({
        param: { customer_id: "1", loan_id: "1" },
        json: { amount: 1 },
      });
      // @ts-expect-error only the 201 receipt has a payment_id: narrow on status
      void (await paid.json()).payment_id;
      if (paid.status === 201) expectTypeOf((await paid.json()).payment_id).toBeNumber();
    };
    expect(wrongCalls).toBeTypeOf("function");
  });
});
