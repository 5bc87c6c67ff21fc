import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ENDPOINTS,
  type Population,
  recordDecisions,
  requestFor,
  sampleLoanIds,
} from "../../bench/lib/load";
import { countRoundTrips, roundTripNotes } from "../../bench/lib/round-trips";
import { type LocalWorker, startLocalWorker } from "../../scripts/lib/local-worker";

/*
 * What `npm run bench` sends, sent once against a real local Worker (wrangler dev, Miniflare's D1)
 * with SERVER_TIMING=true: every endpoint case gets the status it is meant to have and its D1
 * round trips within budget, and every endpoint the load runs draw requests for answers them. A
 * bench whose requests all answered 404 or 422 would time the wrong path and say nothing.
 */

let worker: LocalWorker;
beforeAll(async () => {
  worker = await startLocalWorker({ SERVER_TIMING: "true" });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
});

describe("the bench's endpoint cases", () => {
  it("count every endpoint's round trips within budget, each case with its intended status", async () => {
    const rows = await countRoundTrips(worker.url);
    expect(roundTripNotes(rows)).toEqual([]);
    const paths = new Set(rows.map((row) => row.endpoint.split(" (")[0]));
    for (const endpoint of ENDPOINTS.filter((name) => name !== "GET /api")) {
      expect(paths).toContain(endpoint);
    }
  });

  it("draw load requests that every endpoint answers with success", async () => {
    // Customers of its own, with a booked loan each, as the lender's data would have.
    const customers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const register = await post("/register", {
        first_name: "Load",
        last_name: `Case ${i}`,
        age: 40,
        monthly_income: 90_000,
        phone_number: 4_100_000_000 + Math.floor(Math.random() * 100_000_000),
      });
      const { customer_id } = (await register.json()) as { customer_id: number };
      customers.push(customer_id);
      const loan = { customer_id, loan_amount: 100_000, interest_rate: 14, tenure: 24 };
      expect((await post("/create-loan", loan)).status).toBe(201);
    }
    // requestFor draws customers 1..n: these are the only ones in this database.
    const population: Population = {
      customers: Math.max(...customers),
      loanIds: await sampleLoanIds(worker.url, Math.max(...customers), 3),
      decisions: await recordDecisions(worker.url, Math.max(...customers), 3),
    };
    expect(population.decisions).toHaveLength(3);

    for (const endpoint of ENDPOINTS.filter((name) => name !== "POST /register")) {
      const { path, body } = requestFor(endpoint, population);
      const method = endpoint.startsWith("GET") ? "GET" : "POST";
      const response = await fetch(`${worker.url}${path}`, {
        method,
        headers: { "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body }),
      });
      expect([endpoint, response.status < 300]).toEqual([endpoint, true]);
    }
  });
});

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${worker.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}
