import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, registerCustomer } from "../support/http";
import { countLoans } from "../support/seed";

/*
 * Mutated bodies: start from valid requests and break them in every way fast-check can think of.
 * Whatever arrives, the answer is never a 5xx, and every 4xx is problem+json. The seed is printed
 * so a failure can be replayed.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = 150;

const hostileValue = fc.oneof(
  fc.anything(),
  fc.constantFrom(
    "NaN",
    "Infinity",
    "-Infinity",
    1e308,
    -0,
    -1,
    0,
    2 ** 53,
    "1e309",
    "",
    " ",
    null,
    true,
    [],
    {},
  ),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.double(),
  fc.integer(),
);

const baseBodies: Record<string, Record<string, unknown>> = {
  "/register": {
    first_name: "A",
    last_name: "B",
    age: 30,
    monthly_income: 1000,
    phone_number: 9_999_999_999,
  },
  "/check-eligibility": { customer_id: 1, loan_amount: 1000, interest_rate: 10, tenure: 12 },
  "/create-loan": { customer_id: 1, loan_amount: 1000, interest_rate: 10, tenure: 12 },
  "/make-payment/1/1": { amount: 100 },
};

const mutatedBody = fc
  .record({
    path: fc.constantFrom(...Object.keys(baseBodies)),
    drop: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
    changes: fc.dictionary(
      fc.constantFrom(
        "first_name",
        "age",
        "monthly_income",
        "phone_number",
        "customer_id",
        "loan_amount",
        "interest_rate",
        "tenure",
        "amount",
        "__proto__",
        "constructor",
        "extra",
      ),
      hostileValue,
      { maxKeys: 4 },
    ),
  })
  .map(({ path, drop, changes }) => {
    const body: Record<string, unknown> = { ...baseBodies[path] };
    for (const key of drop) delete body[key];
    return { path, body: { ...body, ...changes } };
  });

const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    "{",
    "[]",
    "null",
    "1",
    '"text"',
    '{"age": 30,}',
    '{"a":1}{"b":2}',
    '{"tenure": 1e999}',
    '{"age":30,"age":"x"}',
  ),
  fc.json().map((json) => json.slice(0, Math.max(1, json.length - 1))),
);

describe("fuzzing request bodies", () => {
  it(`never answers 5xx to mutated JSON bodies (seed ${SEED}, ${RUNS} runs)`, async () => {
    console.log(`fuzz: seed=${SEED} runs=${RUNS}`);
    await fc.assert(
      fc.asyncProperty(mutatedBody, async ({ path, body }) => {
        const response = await call(path, { rawBody: JSON.stringify(body) });
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400)
          expect(response.headers.get("content-type")).toBe("application/problem+json");
        await response.body?.cancel();
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it(`never answers 5xx to broken JSON, paths and content types (seed ${SEED})`, async () => {
    const paths = fc.oneof(
      fc.constantFrom("/register", "/check-eligibility", "/create-loan", "/api/create-loan/"),
      fc.string({ maxLength: 30 }).map((s) => `/view-loan/${encodeURIComponent(s)}`),
      fc.string({ maxLength: 30 }).map((s) => `/view-loans/${encodeURIComponent(s)}`),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
        .map(([a, b]) => `/make-payment/${encodeURIComponent(a)}/${encodeURIComponent(b)}`),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
        .map(([a, b]) => `/view-statement/${encodeURIComponent(a)}/${encodeURIComponent(b)}`),
      fc.string({ maxLength: 40 }).map((s) => `/decisions/${encodeURIComponent(s)}`),
      fc
        .record({
          customer: fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String)),
          query: fc.dictionary(
            fc.constantFrom("limit", "cursor", "other", "limit[]"),
            fc.oneof(fc.string({ maxLength: 60 }), fc.integer().map(String), fc.base64String()),
            { maxKeys: 3 },
          ),
        })
        .map(
          ({ customer, query }) =>
            `/customers/${encodeURIComponent(customer)}/decisions?${new URLSearchParams(query)}`,
        ),
    );
    const contentType = fc.constantFrom(
      "application/json",
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=utf-8",
      "",
    );
    await fc.assert(
      fc.asyncProperty(
        paths,
        rawBody,
        contentType,
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
        async (path, body, type, method) => {
          const hasBody = method !== "GET";
          const response = await call(path, {
            method,
            rawBody: hasBody ? body : undefined,
            headers: type ? { "Content-Type": type } : {},
          });
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400)
            expect(response.headers.get("content-type")).toBe("application/problem+json");
          await response.body?.cancel();
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("stores SQL metacharacters as plain data", async () => {
    const name = `Robert'); DROP TABLE customers;--`;
    const customer = await registerCustomer({
      first_name: name,
      last_name: `"; DELETE FROM loans; --`,
    });
    expect(customer).toMatchObject({ first_name: name });
    expect(await countLoans(customer.customer_id)).toBe(0);
    const again = await call(`/view-loans/${customer.customer_id}`);
    expect(again.status).toBe(200);
  });
});
