import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import type { RateLimiter } from "../../src/lib/security/rate-limit";
import { call, uniquePhone } from "../support/http";
import { expectProblem } from "../support/problem";

// The Workers rate-limiting binding itself (Miniflare's), configured at 3 writes a minute.
it("limits writes through the Workers rate-limiting binding", async () => {
  const limiter = (env as unknown as { TIGHT_RATE_LIMITER: RateLimiter }).TIGHT_RATE_LIMITER;
  const headers = { "CF-Connecting-IP": "192.0.2.44" };
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
      headers,
      env: { WRITE_RATE_LIMITER: limiter },
    });
    statuses.push(response.status);
    if (response.status === 429) await expectProblem(response, 429);
  }
  expect(statuses).toEqual([201, 201, 201, 429]);
});
