import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type CallOptions, call, registerCustomer, registration } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedLoan } from "../support/seed";

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;
const loanBody = (customer_id: number) => ({
  customer_id,
  loan_amount: 50_000,
  interest_rate: 14,
  tenure: 24,
});

/** Calls the Worker on a D1 binding that records how each request opened its session. */
async function sessionsOf(path: string, options: CallOptions = {}) {
  const opened: string[] = [];
  const recording: D1Database = {
    prepare: (query) => env.DB.prepare(query),
    batch: (statements) => env.DB.batch(statements),
    exec: (query) => env.DB.exec(query),
    dump: () => env.DB.dump(),
    withSession: (constraintOrBookmark) => {
      opened.push(String(constraintOrBookmark));
      return env.DB.withSession(constraintOrBookmark);
    },
  };
  const response = await call(path, { ...options, env: { ...options.env, DB: recording } });
  return { response, opened };
}

function bookmarkOf(response: Response): string {
  const bookmark = response.headers.get("x-d1-bookmark");
  expect(bookmark).toMatch(BOOKMARK);
  return bookmark as string;
}

describe("D1 sessions and the x-d1-bookmark header", () => {
  it("returns a bookmark from a write, and a read that sends it back gets one as recent", async () => {
    const registered = await call("/register", { body: registration() });
    expect(registered.status).toBe(201);
    const written = bookmarkOf(registered);
    const { customer_id } = (await registered.json()) as { customer_id: number };

    const read = await call(`/view-loans/${customer_id}`, {
      headers: { "x-d1-bookmark": written },
    });
    expect(read.status).toBe(200);
    // D1's bookmarks are fixed-width hex: their order is the string order.
    expect(bookmarkOf(read) >= written).toBe(true);
  });

  it("serves a read without a bookmark and still returns one", async () => {
    const { customer_id } = await registerCustomer();
    const read = await call(`/view-loans/${customer_id}`);
    expect(read.status).toBe(200);
    bookmarkOf(read);
  });

  it.each([
    ["a word", "garbage"],
    ["a constraint", "first-primary"],
    ["a truncated bookmark", "00000000-00000001-00000000"],
    ["non-hex digits", `${"0".repeat(8)}-${"0".repeat(8)}-${"0".repeat(8)}-${"g".repeat(32)}`],
    ["5000 characters", "x".repeat(5000)],
  ])("answers a read whose bookmark is %s with a 400 naming the header", async (_, bad) => {
    const { response, opened } = await sessionsOf("/view-loans/1", {
      headers: { "x-d1-bookmark": bad },
    });
    await expectProblem(response, 400, "x-d1-bookmark");
    expect(response.headers.get("x-d1-bookmark")).toBeNull();
    expect(opened).toEqual([]);
  });

  // A client that sends the header empty before it holds a bookmark (`bookmark ?? ""`) asks for no
  // particular point: it got a 400 on every read, where the Node server, which reads no bookmark,
  // answered it.
  it("serves a read whose bookmark header is empty as one without a bookmark", async () => {
    const { customer_id } = await registerCustomer();
    const { response, opened } = await sessionsOf(`/view-loans/${customer_id}`, {
      headers: { "x-d1-bookmark": "" },
    });
    expect(response.status).toBe(200);
    bookmarkOf(response);
    expect(opened).toEqual(["first-unconstrained"]);
  });

  it("ignores a bookmark sent with a write: writes always start at the primary", async () => {
    const { response, opened } = await sessionsOf("/register", {
      body: registration(),
      headers: { "x-d1-bookmark": "garbage" },
    });
    expect(response.status).toBe(201);
    expect(opened).toEqual(["first-primary"]);
  });

  it("opens each request's session where its first query may go", async () => {
    const { customer_id } = await registerCustomer();
    const loanId = await seedLoan({
      customerId: customer_id,
      amount: 10_000,
      startDate: "2025-05-31",
      endDate: "2026-05-31",
    });
    const bookmark = bookmarkOf(await call(`/view-loans/${customer_id}`));
    const ingest = { Authorization: "Bearer test-ingest-token" };
    const routes: [string, CallOptions, number][] = [
      ["/register", { body: registration() }, 201],
      ["/create-loan", { body: loanBody(customer_id) }, 201],
      [`/make-payment/${customer_id}/${loanId}`, { body: { amount: 1000 } }, 201],
      ["/ingest/summary", { headers: ingest }, 200],
      [`/view-loan/${loanId}`, {}, 200],
      [`/api/view-loans/${customer_id}/`, {}, 200],
      [`/view-statement/${customer_id}/${loanId}`, {}, 200],
      [`/customers/${customer_id}/decisions`, {}, 200],
      ["/check-eligibility", { body: loanBody(customer_id) }, 200],
      [
        "/check-eligibility",
        { body: loanBody(customer_id), headers: { "x-d1-bookmark": bookmark } },
        200,
      ],
    ];
    const seen = [];
    for (const [path, options, status] of routes) {
      const { response, opened } = await sessionsOf(path, options);
      expect({ path, status: response.status }).toEqual({ path, status });
      bookmarkOf(response);
      seen.push([path, ...opened]);
    }
    expect(seen).toEqual([
      ["/register", "first-primary"],
      ["/create-loan", "first-primary"],
      [`/make-payment/${customer_id}/${loanId}`, "first-primary"],
      ["/ingest/summary", "first-primary"],
      [`/view-loan/${loanId}`, "first-unconstrained"],
      [`/api/view-loans/${customer_id}/`, "first-unconstrained"],
      [`/view-statement/${customer_id}/${loanId}`, "first-unconstrained"],
      [`/customers/${customer_id}/decisions`, "first-unconstrained"],
      ["/check-eligibility", "first-unconstrained"],
      ["/check-eligibility", bookmark],
    ]);
  });

  it("sends no bookmark from a request that reached no database", async () => {
    const response = await call("/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-d1-bookmark")).toBeNull();
  });

  // docs/databases.md: the shape is all the server can check; local D1 echoes a later one.
  it("serves a read whose bookmark is later than the database's and hands that bookmark back", async () => {
    const { customer_id } = await registerCustomer();
    const later = `ffffffff-ffffffff-ffffffff-${"f".repeat(32)}`;
    const read = await call(`/view-loans/${customer_id}`, { headers: { "x-d1-bookmark": later } });
    expect(read.status).toBe(200);
    expect(read.headers.get("x-d1-bookmark")).toBe(later);
    // A write starts at the primary and hands back the database's own point, whatever was sent.
    const written = await call("/register", {
      body: registration(),
      headers: { "x-d1-bookmark": later },
    });
    expect(bookmarkOf(written) < later).toBe(true);
  });

  // docs/api.md, "x-d1-bookmark": refused before its session opens, a read gets none back; refused
  // after it opens but before a query, it gets back the one it sent.
  it("answers a refused read with no bookmark, or with the one it sent once its session is open", async () => {
    const sent = bookmarkOf(await call("/view-loans/1"));
    const headers = { "x-d1-bookmark": sent };
    const keyRequired = { API_KEYS: `sha256:${"ab".repeat(32)}` };
    const unauthorised = await call("/view-loans/1", { headers, env: keyRequired });
    await expectProblem(unauthorised, 401);
    expect(unauthorised.headers.get("x-d1-bookmark")).toBeNull();
    const malformed = await call("/view-loan/abc", { headers });
    await expectProblem(malformed, 400, "loan_id");
    expect(malformed.headers.get("x-d1-bookmark")).toBe(sent);
  });

  it("opens no D1 session and sends no bookmark on libSQL (DATABASE_URL)", async () => {
    // Nothing listens on port 9 of the loopback: libSQL answers 503 at once.
    const { response, opened } = await sessionsOf("/view-loans/1", {
      env: { DATABASE_URL: "http://127.0.0.1:9", DATABASE_AUTH_TOKEN: "token" },
    });
    await expectProblem(response, 503);
    expect(response.headers.get("x-d1-bookmark")).toBeNull();
    expect(opened).toEqual([]);
  });

  it("lets browsers on an allowed origin send and read the header (CORS)", async () => {
    const origin = "https://console.example";
    const corsEnv = { CORS_ORIGINS: origin };
    const preflight = await call("/view-loans/1", {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-d1-bookmark",
      },
      env: corsEnv,
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain(
      "x-d1-bookmark",
    );
    const { customer_id } = await registerCustomer();
    const read = await call(`/view-loans/${customer_id}`, {
      headers: { Origin: origin },
      env: corsEnv,
    });
    expect(read.headers.get("Access-Control-Expose-Headers")?.toLowerCase()).toContain(
      "x-d1-bookmark",
    );
    bookmarkOf(read);
  });
});
