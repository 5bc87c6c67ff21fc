import { describe, expect, it, vi } from "vitest";
import { ProblemError } from "../../src/lib/problem";
import { registerRequest } from "../../src/routes/customers/register-customer";
import { backend } from "../support/backend";
import { call, callJson, registerCustomer, registration } from "../support/http";
import { expectProblem } from "../support/problem";

/*
 * A registration whose answer was lost (a timeout, a dropped connection) is retried: with the same
 * Idempotency-Key it gets the first answer, the customer's id, where it used to get a 409 for its
 * own phone number and no way to learn the id.
 */

function register(body: Record<string, unknown>, key: string, rawBody?: string) {
  return callJson("/register", {
    body: rawBody === undefined ? body : undefined,
    rawBody,
    headers: { "Idempotency-Key": key },
  });
}

async function customersWithPhone(phone: unknown): Promise<number> {
  const [row] = await backend().query<{ n: number }>(
    "SELECT COUNT(*) AS n FROM customers WHERE phone_number = ?",
    [phone],
  );
  return row?.n ?? 0;
}

describe("Idempotency-Key on POST /register", () => {
  it("replays the first 201, with the customer's id, for the same key and body", async () => {
    const body = registration({ first_name: "  Meera ", monthly_income: 41_234.56 });
    const key = `register-${crypto.randomUUID()}`;
    const first = await register(body, key);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    // Same parsed JSON, other key order and spacing.
    const reordered = `{ "phone_number": ${body.phone_number}, "age": 30, "last_name": "Verma", "monthly_income": 41234.56, "first_name": "  Meera " }`;
    const again = await register(body, key, reordered);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(JSON.stringify(again.body)).toBe(JSON.stringify(first.body));
    expect(first.body).toMatchObject({ first_name: "Meera", monthly_income: 41_234.56 });
    expect(await customersWithPhone(body.phone_number)).toBe(1);
  });

  it("replays the first 201's exact bytes for names, incomes and phone numbers at the edges", async () => {
    // The stored body is built from the request and completed with the id in SQL; the first 201
    // comes from the inserted row. They must never differ in a byte.
    const cases: [Record<string, unknown>, string?][] = [
      [{ first_name: "O\"Brien \\ D'Souza", last_name: "</script>" }],
      [{ first_name: "Zoë अनन्या 中文", last_name: "😀👩‍👩‍👧\u2028\u2029" }],
      [{ first_name: "\ud7ff\ue000\uffff", last_name: "\u{10ffff}\ufeff x" }],
      [{ first_name: "x".repeat(100), last_name: "  trimmed\u00a0 " }],
      [{ monthly_income: 0.01, phone_number: 1_000_000 }],
      [{ monthly_income: 1_000_000_000, phone_number: 999_999_999_999_999 }],
      [{ monthly_income: 99_999_999.99 }],
      [{}, "1e-2"],
    ];
    for (const [overrides, rawIncome] of cases) {
      const body = registration(overrides);
      const text = JSON.stringify(body);
      const raw = rawIncome
        ? text.replace(/"monthly_income":[^,}]+/, `"monthly_income":${rawIncome}`)
        : text;
      const headers = { "Idempotency-Key": `register-bytes-${crypto.randomUUID()}` };
      const first = await call("/register", { rawBody: raw, headers });
      const firstText = await first.text();
      expect(first.status, firstText).toBe(201);
      const again = await call("/register", { rawBody: raw, headers });
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await again.text()).toBe(firstText);
    }
  });

  it("registers one customer when the same request arrives 10 times at once", async () => {
    const body = registration();
    const key = `register-burst-${crypto.randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => register(body, key)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((answer) => answer.body.customer_id)).size).toBe(1);
    expect(answers.filter((answer) => answer.headers.get("idempotent-replayed")).length).toBe(9);
    expect(await customersWithPhone(body.phone_number)).toBe(1);
  });

  it("refuses the same key with another body with 422, registering nothing", async () => {
    const key = `register-reused-${crypto.randomUUID()}`;
    expect((await register(registration(), key)).status).toBe(201);
    const other = registration();
    const reused = await call("/register", { body: other, headers: { "Idempotency-Key": key } });
    await expectProblem(reused, 422, "Idempotency-Key");
    expect(await customersWithPhone(other.phone_number)).toBe(0);
  });

  it("refuses a create-loan's key on register with 422: one namespace, other operations", async () => {
    const { customer_id } = await registerCustomer();
    const key = `register-after-loan-${crypto.randomUUID()}`;
    const loan = { customer_id, loan_amount: 10_000, interest_rate: 15, tenure: 6 };
    const booked = await call("/create-loan", { body: loan, headers: { "Idempotency-Key": key } });
    expect(booked.status).toBe(201);
    const body = registration();
    await expectProblem(
      await call("/register", { body, headers: { "Idempotency-Key": key } }),
      422,
      "Idempotency-Key",
    );
    expect(await customersWithPhone(body.phone_number)).toBe(0);
  });

  it("still answers 409 for a phone number another request registered, key or no key", async () => {
    const body = registration();
    expect((await register(body, `register-first-${crypto.randomUUID()}`)).status).toBe(201);
    const keyed = await call("/register", {
      body,
      headers: { "Idempotency-Key": `register-second-${crypto.randomUUID()}` },
    });
    await expectProblem(keyed, 409, "phone_number");
    await expectProblem(await call("/register", { body }), 409, "phone_number");
    // The 409 is not stored: the key stays free for the request it was meant for.
    const [stored] = await backend().query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM idempotency_keys WHERE response_body LIKE ?",
      [`%${body.phone_number}%`],
    );
    expect(stored?.n).toBe(1);
  });

  it("forgets a key after 24 hours: the same request is then the phone number's 409", async () => {
    const body = registration();
    const key = `register-ttl-${crypto.randomUUID()}`;
    expect((await register(body, key)).status).toBe(201);
    await backend().query("UPDATE idempotency_keys SET expires_at = ? WHERE key = ?", [
      Date.now() - 1,
      key,
    ]);
    await expectProblem(
      await call("/register", { body, headers: { "Idempotency-Key": key } }),
      409,
      "phone_number",
    );
    // An expired key is as good as new for another registration.
    const other = registration();
    const reused = await register(other, key);
    expect(reused.status).toBe(201);
    expect(reused.headers.get("idempotent-replayed")).toBeNull();
    expect((await register(other, key)).body).toEqual(reused.body);
  });

  it.each(["", "x".repeat(256), "has space"])(
    "rejects the key %j with 400 naming Idempotency-Key, registering nothing",
    async (key) => {
      const body = registration();
      const response = await call("/register", { body, headers: { "Idempotency-Key": key } });
      await expectProblem(response, 400, "Idempotency-Key");
      expect(await customersWithPhone(body.phone_number)).toBe(0);
    },
  );
});

describe("register's 409 for a key that expired while the request ran", () => {
  it("sends Retry-After, and the OpenAPI document declares it on register's 409", async () => {
    // The key is live at the write (which fails on it) and gone by the read that follows.
    const key = `register-expiring-${crypto.randomUUID()}`;
    const start = Date.now();
    await backend().query(
      "INSERT INTO idempotency_keys (key, request_hash, response_status, response_body, expires_at) VALUES (?, 'other', 201, '{}', ?)",
      [key, start + 60_000],
    );
    const clock = vi.spyOn(Date, "now");
    clock.mockReturnValueOnce(start).mockReturnValue(start + 120_000);
    const body = registration();
    const customer = {
      firstName: "Asha",
      lastName: "Verma",
      age: 30,
      phoneNumber: body.phone_number as number,
      monthlySalaryPaise: 5_000_000,
      approvedLimitPaise: 180_000_000,
    };
    const answer = await registerRequest(backend().database(), {
      customer,
      idempotency: { key, requestHash: "this-request" },
    }).catch((error: unknown) => error);
    clock.mockRestore();
    expect(answer).toBeInstanceOf(ProblemError);
    const { problem } = answer as ProblemError;
    expect(problem.kind).toBe("conflict");
    expect(problem.headers).toEqual({ "Retry-After": "1" });

    const { body: document } = await callJson<{
      paths: Record<string, { post?: { responses: Record<string, { headers?: object }> } }>;
    }>("/openapi.json");
    const declared = document.paths["/register"]?.post?.responses["409"]?.headers ?? {};
    expect(Object.keys(declared)).toContain("Retry-After");
  });
});
