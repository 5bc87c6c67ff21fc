import { describe, expect, it } from "vitest";
import { apiKeySetting, serverPerFile } from "../node/server-per-file";
import { expectProblem } from "../support/problem";

/*
 * The Node server without INGEST_TOKEN, as an operator might start it with only API_KEYS set: the
 * ingest endpoints are off, whatever token is offered — the once-published local default included.
 */

const FORMER_PUBLIC_DEFAULT = "local-dev-ingest-token";
const API_KEY = "ingest-token-test-key-5e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b";

const served = serverPerFile("ingest-token-", {
  API_KEYS: apiKeySetting(API_KEY),
});
describe("the Node server without INGEST_TOKEN", () => {
  it("answers 401 disabled on every ingest endpoint, for the old default token and an API key", async () => {
    const customer = {
      kind: "customers",
      job_id: "job-1",
      seq: 0,
      rows: [
        {
          row: 2,
          customer_id: 1,
          first_name: "Mallory",
          last_name: "X",
          age: 30,
          phone_number: 9_999_999_999,
          monthly_salary: 1,
          approved_limit: 100_000_000,
          current_debt: 0,
        },
      ],
    };
    const requests: [string, RequestInit][] = [
      ["/ingest/summary", {}],
      ["/ingest/jobs/job-1", {}],
      [
        "/ingest/batches",
        {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ messages: [customer] }),
        },
      ],
    ];
    for (const token of [FORMER_PUBLIC_DEFAULT, API_KEY]) {
      for (const [path, init] of requests) {
        const response = await fetch(`${served.server.url}${path}`, {
          ...init,
          headers: { ...init.headers, Authorization: `Bearer ${token}` },
        });
        const problem = await expectProblem(response, 401);
        expect(problem.detail, path).toMatch(/disabled/);
      }
    }
    const stored = await served.server.runtime.client.execute(
      "SELECT count(*) AS n FROM customers",
    );
    expect(stored.rows[0]?.n).toBe(0);
  });
});
