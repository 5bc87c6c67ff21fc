import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { RateLimiter } from "../../src/lib/security/rate-limit";
import { backend } from "../support/backend";
import { call, registerCustomer, registration, uniquePhone } from "../support/http";
import { expectProblem } from "../support/problem";

/** Miniflare's limiter counts in fixed windows of the clock's minutes: floor(now / 60 s). */
const WINDOW_MS = 60_000;

/** Four registrations from one client through `limiter`: their statuses. */
async function fourWrites(limiter: RateLimiter, client: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const body = {
      first_name: "R",
      last_name: "L",
      age: 40,
      monthly_income: 30_000,
      phone_number: uniquePhone(),
    };
    const response = await call("/register", {
      body,
      headers: { "CF-Connecting-IP": client },
      env: { WRITE_RATE_LIMITER: limiter },
    });
    statuses.push(response.status);
    if (response.status === 429) await expectProblem(response, 429);
  }
  return statuses;
}

// The Workers rate-limiting binding itself (Miniflare's), configured at 3 writes a minute.
// Four writes that straddle a minute's end are counted in two windows and all pass: a run in 80
// when they take 0.8 s, as on a loaded machine. Such a try is made again, as another client; only
// a try whose four writes fell in one window is judged.
it("limits writes through the Workers rate-limiting binding", async () => {
  const limiter = (env as unknown as { TIGHT_RATE_LIMITER: RateLimiter }).TIGHT_RATE_LIMITER;
  for (let attempt = 0; attempt < 3; attempt++) {
    const minute = Math.floor(Date.now() / WINDOW_MS);
    const statuses = await fourWrites(limiter, `192.0.2.${44 + attempt}`);
    if (Math.floor(Date.now() / WINDOW_MS) !== minute) continue;
    expect(statuses).toEqual([201, 201, 201, 429]);
    return;
  }
  throw new Error("three tries of four writes each straddled a minute's end");
});

// The binding is a dependency like the database: when its `limit()` rejects (the platform's
// limiter unreachable) or throws (a binding of the wrong kind), the write is not done and the
// client is told to retry, as a database that is unavailable answers (503 with Retry-After). It
// answered 500 "Something went wrong on our side", which reads as a bug and says not to retry.
describe("the rate-limiting binding fails", () => {
  const failures: [string, RateLimiter][] = [
    [
      "its limit() rejects",
      { limit: () => Promise.reject(new Error("rate limiter: upstream unavailable")) },
    ],
    [
      "its limit() throws",
      {
        limit: () => {
          throw new TypeError("limit is not a function");
        },
      },
    ],
    [
      "its limit() answers without a verdict",
      { limit: async () => ({}) as unknown as { success: boolean } },
    ],
  ];

  it.each(failures)(
    "%s: a write gets 503 naming WRITE_RATE_LIMITER with Retry-After, and is not done",
    async (_, limiter) => {
      const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
      const body = registration();
      const response = await call("/register", { body, env: { WRITE_RATE_LIMITER: limiter } });
      const problem = await expectProblem(response, 503, "WRITE_RATE_LIMITER");
      expect(problem.type).toBe("/problems/service-unavailable");
      expect(response.headers.get("retry-after")).toBe("1");
      expect(problem.detail).toContain("Nothing was changed");
      const rows = await backend().query("SELECT 1 FROM customers WHERE phone_number = ?", [
        body.phone_number,
      ]);
      expect(rows).toHaveLength(0);
      // The log says which dependency failed and for which request, not the error's message.
      const line = logged.mock.calls.flat().join("\n");
      expect(line).toContain("WRITE_RATE_LIMITER");
      expect(line).toContain(problem.request_id);
      expect(line).not.toContain("upstream unavailable");
      logged.mockRestore();
    },
  );

  it("reads are never limited, so they are served as usual", async () => {
    const { customer_id } = await registerCustomer();
    const limiter: RateLimiter = { limit: () => Promise.reject(new Error("unavailable")) };
    const response = await call(`/view-loans/${customer_id}`, {
      env: { WRITE_RATE_LIMITER: limiter },
    });
    expect(response.status).toBe(200);
  });
});
