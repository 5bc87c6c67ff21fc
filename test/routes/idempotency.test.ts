import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { replayEveryDecision } from "../support/decisions";
import { call, callJson, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { countLoans } from "../support/table-counts";

function createLoan(body: Record<string, unknown>, key: string, rawBody?: string) {
  return callJson("/create-loan", {
    body: rawBody === undefined ? body : undefined,
    rawBody,
    headers: { "Idempotency-Key": key },
  });
}

describe("Idempotency-Key on POST /create-loan", () => {
  it("replays the first response for the same key and body, booking one loan", async () => {
    const { customer_id } = await registerCustomer();
    const body = { customer_id, loan_amount: 50_000, interest_rate: 13, tenure: 12 };
    const first = await createLoan(body, `seq-${customer_id}`);
    expect(first.status).toBe(201);
    // Same parsed JSON, different key order and spacing.
    const second = await createLoan(
      body,
      `seq-${customer_id}`,
      ` {"tenure":12, "interest_rate":13, "loan_amount":50000, "customer_id":${customer_id}}`,
    );
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await countLoans(customer_id)).toBe(1);
  });

  it("replays a refusal too", async () => {
    const { customer_id } = await registerCustomer({ monthly_income: 10_000 });
    const body = { customer_id, loan_amount: 9_000_000, interest_rate: 13, tenure: 12 };
    const first = await createLoan(body, `refusal-${customer_id}`);
    const second = await createLoan(body, `refusal-${customer_id}`);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toEqual(first.body);
    expect(first.body.loan_id).toBeNull();
  });

  it("refuses the same key with a different body with 422", async () => {
    const { customer_id } = await registerCustomer();
    const key = `diff-${customer_id}`;
    expect(
      (await createLoan({ customer_id, loan_amount: 1000, interest_rate: 13, tenure: 12 }, key))
        .status,
    ).toBe(201);
    const reused = await call("/create-loan", {
      body: { customer_id, loan_amount: 2000, interest_rate: 13, tenure: 12 },
      headers: { "Idempotency-Key": key },
    });
    await expectProblem(reused, 422, "Idempotency-Key");
    expect(await countLoans(customer_id)).toBe(1);
  });

  it("books one loan when the same request arrives 10 times at once", async () => {
    const { customer_id } = await registerCustomer();
    const body = { customer_id, loan_amount: 10_000, interest_rate: 15, tenure: 6 };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => createLoan(body, `burst-${customer_id}`)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(responses.map((r) => r.body.loan_id)).size).toBe(1);
    expect(await countLoans(customer_id)).toBe(1);
  });

  it("keeps keys apart: a new key books a new loan", async () => {
    const { customer_id } = await registerCustomer();
    const body = { customer_id, loan_amount: 10_000, interest_rate: 15, tenure: 6 };
    const a = await createLoan(body, `a-${customer_id}`);
    const b = await createLoan(body, `b-${customer_id}`);
    expect(a.body.loan_id).not.toBe(b.body.loan_id);
    expect(await countLoans(customer_id)).toBe(2);
  });

  it("forgets a key after 24 hours", async () => {
    const { customer_id } = await registerCustomer();
    const body = { customer_id, loan_amount: 10_000, interest_rate: 15, tenure: 6 };
    const key = `ttl-${customer_id}`;
    await createLoan(body, key);
    await backend().query("UPDATE idempotency_keys SET expires_at = ? WHERE key = ?", [
      Date.now() - 1,
      key,
    ]);
    const again = await createLoan(body, key);
    expect(again.status).toBe(201);
    expect(await countLoans(customer_id)).toBe(2);
  });

  it("lets an expired key be reused at once, however many older expired keys wait for the sweep", async () => {
    const { customer_id } = await registerCustomer();
    const body = { customer_id, loan_amount: 10_000, interest_rate: 15, tenure: 6 };
    const key = `reuse-${customer_id}`;
    expect((await createLoan(body, key)).status).toBe(201);
    const now = Date.now();
    await backend().query("UPDATE idempotency_keys SET expires_at = ? WHERE key = ?", [
      now - 1,
      key,
    ]);
    // Older expired records that no request has swept yet.
    for (let i = 0; i < 30; i++) {
      await backend().query(
        "INSERT INTO idempotency_keys (key, request_hash, response_status, response_body, expires_at) VALUES (?, 'h', 200, '{}', ?)",
        [`stale-${customer_id}-${i}`, now - 60_000 - i],
      );
    }
    const reused = await createLoan(body, key);
    expect(reused.status).toBe(201);
    expect(reused.headers.get("idempotent-replayed")).toBeNull();
    // The key is live again: the next retry replays the new booking.
    const replayed = await createLoan(body, key);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.body.loan_id).toBe(reused.body.loan_id);
    expect(await countLoans(customer_id)).toBe(2);

    // A refusal replaces an expired record the same way.
    const refused = { ...body, loan_amount: 900_000_000 };
    const refusalKey = `reuse-refusal-${customer_id}`;
    expect((await createLoan(refused, refusalKey)).status).toBe(200);
    await backend().query("UPDATE idempotency_keys SET expires_at = ? WHERE key = ?", [
      Date.now() - 1,
      refusalKey,
    ]);
    const different = await createLoan({ ...refused, tenure: 7 }, refusalKey);
    expect(different.status).toBe(200);
    expect(different.body.tenure).toBe(7);
  });

  it.each(["", "x".repeat(256), "has space", "ünïcode"])(
    "rejects the key %j with 400 naming Idempotency-Key, as the 422 does",
    async (key) => {
      const response = await call("/create-loan", {
        body: { customer_id: 1, loan_amount: 1, interest_rate: 1, tenure: 1 },
        headers: { "Idempotency-Key": key },
      });
      await expectProblem(response, 400, "Idempotency-Key");
    },
  );
});

// Last: tests in a file run in order, so this sees every record the tests above stored. A test,
// not an afterAll: a `-t` run of some other test skips it instead of failing on an empty table.
it("replays every decision record this file's requests stored to its stored outcome", async () => {
  expect(await replayEveryDecision()).toBeGreaterThan(0);
});
