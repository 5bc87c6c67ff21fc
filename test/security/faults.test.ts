import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { maskPersonalData } from "../../src/lib/log";
import { failingWriteDb } from "../support/failing-d1";
import { call, callJson, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { countLoans } from "../support/table-counts";

afterEach(() => {
  vi.restoreAllMocks();
});

const WRITE_NOT_CONFIRMED =
  "The database did not confirm this write, so it may or may not have been done. Send it again with the same Idempotency-Key to get its answer; without one, check whether it was done before sending it again.";

describe("the database fails during create-loan", () => {
  it.each(["before-commit", "after-commit"] as const)(
    "%s: the client gets 503 problem+json, and a retry with the same Idempotency-Key books exactly one loan",
    async (mode) => {
      const phone = 9_123_456_789 + (mode === "before-commit" ? 0 : 1);
      const { customer_id } = await registerCustomer({ phone_number: phone });
      const body = { customer_id, loan_amount: 20_000, interest_rate: 14, tenure: 12 };
      const headers = { "Idempotency-Key": `fault-${mode}` };
      const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);

      const failed = await call("/create-loan", {
        body,
        headers,
        env: { DB: failingWriteDb(mode) },
      });
      const problem = await expectProblem(failed, 503);
      expect(failed.headers.get("retry-after")).toBe("1");
      expect(await countLoans(customer_id)).toBe(mode === "before-commit" ? 0 : 1);
      // D1's "Network connection lost" comes before a commit or after it, and the server cannot
      // tell which: the answer said "Nothing was changed; retry the request." after a loan was
      // booked, and a client without a key that did as told booked a second one.
      expect(problem.detail).toBe(WRITE_NOT_CONFIRMED);

      // The log says what failed and for which request, and nothing personal.
      const logged = errors.mock.calls.flat().join("\n");
      expect(logged).toContain(problem.request_id);
      expect(logged).not.toContain(String(phone));
      expect(logged).not.toMatch(/\bat \S+:\d+/);

      const retried = await callJson("/create-loan", { body, headers });
      expect(retried.status).toBe(201);
      const again = await callJson("/create-loan", { body, headers });
      expect(again.body.loan_id).toBe(retried.body.loan_id);
      expect(await countLoans(customer_id)).toBe(1);
    },
  );
});

describe("log masking", () => {
  it("never writes a phone number in full", () => {
    expect(maskPersonalData('{"ids":[9876543210],"path":"/x/1234567"}')).toBe(
      '{"ids":[********10],"path":"/x/*****67"}',
    );
    expect(maskPersonalData("loan 1003 for customer 20")).toBe("loan 1003 for customer 20");
    // Written in groups, as people type them.
    expect(maskPersonalData('got text "+91 55500 00015"')).toBe('got text "+** ***** ***15"');
    expect(maskPersonalData("on 2023-02-30, 12 34")).toBe("on 2023-02-30, 12 34");
    const requestId = "1b4e28ba-2fa1-11d2-883f-016712345678";
    expect(maskPersonalData(`{"request_id":"${requestId}"}`)).toContain(requestId);
  });
});

describe("the database fails during a read", () => {
  it("says nothing was changed: a read changes nothing whatever the database did", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { customer_id } = await registerCustomer({ phone_number: 9_123_456_800 });
    // Every query fails the way an unreachable D1 does, in a session too.
    function unreachable<T extends object>(target: T): T {
      return new Proxy(target, {
        get(object, property) {
          if (property === "prepare" || property === "batch") {
            return () => {
              throw new Error("D1_ERROR: Network connection lost.");
            };
          }
          if (property === "withSession") {
            return (start?: string) => unreachable(env.DB.withSession(start));
          }
          const value = Reflect.get(object, property);
          return typeof value === "function" ? value.bind(object) : value;
        },
      });
    }
    const failed = await call(`/view-loans/${customer_id}`, { env: { DB: unreachable(env.DB) } });
    const problem = await expectProblem(failed, 503);
    expect(problem.detail).toBe(
      "The database is unavailable. Nothing was changed; retry the request.",
    );
  });
});
