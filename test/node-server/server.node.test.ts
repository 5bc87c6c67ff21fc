import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runIngest } from "../../scripts/lib/ingest-run";
import { EXPECTED_MIGRATIONS } from "../../src/db/migration-names";
import { type RunningServer, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { REAL_CUSTOMERS, REAL_LOANS } from "../node/ingest-fixtures";
import { rawExchange } from "../node/raw-http";

/*
 * The Node server for real: listening on the loopback, libSQL file database, in-process queue.
 * The lender's workbooks go through `npm run ingest`'s code, the endpoint, the queue and the
 * consumer, exactly as against the Worker; then the write guards are hammered over HTTP.
 */

const TOKEN = "node-server-test-token";
let directory: string;
let databaseUrl: string;
let server: RunningServer;

async function start(): Promise<RunningServer> {
  return startServer(
    settingsFromEnv({
      PORT: "0",
      DATABASE_URL: databaseUrl,
      INGEST_TOKEN: TOKEN,
      AS_OF_DATE: "2025-06-15",
      INGEST_RETRY_DELAY_SECONDS: "0",
    }),
  );
}

async function request(
  path: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method: init.body === undefined ? "GET" : "POST",
    headers: { "Content-Type": "application/json", ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Registers a customer (aged 40) and returns a create-loan body for them: [amount, rate, tenure]. */
async function registerToBorrow(
  name: string,
  monthly_income: number,
  phone_number: number,
  [loan_amount, interest_rate, tenure]: [number, number, number],
) {
  const [first_name, last_name] = name.split(" ");
  const { body } = await request("/register", {
    body: { first_name, last_name, age: 40, monthly_income, phone_number },
  });
  return { customer_id: body.customer_id, loan_amount, interest_rate, tenure };
}

async function storedRows() {
  return (await request("/ingest/summary", { headers: { Authorization: `Bearer ${TOKEN}` } })).body;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "node-server-"));
  databaseUrl = `file:${join(directory, "credit.db")}`;
  server = await start();
});
afterAll(async () => {
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

describe("the Node server", () => {
  it("listens on 127.0.0.1 and has migrated its new database", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.runtime.migrated).toEqual(EXPECTED_MIGRATIONS);
    expect((await request("/openapi.json")).status).toBe(200);
  });

  it("ingests the lender's workbooks end to end, and a second run changes nothing", async () => {
    const options = {
      url: server.url,
      token: TOKEN,
      customersFile: REAL_CUSTOMERS,
      loansFile: REAL_LOANS,
      reportFile: null,
      log: () => undefined,
    };
    const first = await runIngest(options);
    expect(first.complete).toBe(true);
    expect(first.customers).toMatchObject({ rows_read: 300, landed: 300, rejected: 0, dead: 0 });
    expect(first.loans).toMatchObject({ rows_read: 782, landed: 782, rejected: 0, dead: 0 });
    expect(first.remapped_loans).toHaveLength(29);
    expect(await storedRows()).toEqual({ customers: 300, loans: 782 });

    const second = await runIngest(options);
    expect(second.complete).toBe(true);
    expect(await storedRows()).toEqual({ customers: 300, loans: 782 });
    const loans = await request("/view-loans/1");
    expect(loans.status).toBe(200);
    expect(loans.body).toEqual([expect.objectContaining({ source_loan_id: 7798 })]);
  }, 60_000);

  it("never lets 20 parallel create-loans pass the approved limit", async () => {
    const loan = await registerToBorrow("Par Allel", 12_500, 7_123_456_789, [100_000, 12, 600]);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => request("/create-loan", { body: loan })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(5);
    for (const r of responses) expect([200, 201, 409]).toContain(r.status);
    const booked = await request(`/view-loans/${loan.customer_id}`);
    expect(booked.body).toHaveLength(5);
  });

  it("books once for 20 parallel create-loans with one Idempotency-Key", async () => {
    const loan = await registerToBorrow("Idem Potent", 80_000, 7_123_456_790, [20_000, 14, 12]);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        request("/create-loan", { body: loan, headers: { "Idempotency-Key": "parallel-1" } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(responses.map((r) => r.body.loan_id)).size).toBe(1);
    expect((await request(`/view-loans/${loan.customer_id}`)).body).toHaveLength(1);
  });

  it("stops gracefully and restarts on the same database without migrating it again", async () => {
    const oldUrl = server.url;
    await server.close();
    await expect(fetch(`${oldUrl}/openapi.json`)).rejects.toThrow();
    server = await start();
    expect(server.runtime.migrated).toEqual([]);
    expect(await storedRows()).toMatchObject({ customers: 302 });
  });

  it.each([
    [
      "headers over Node's limit",
      `POST /create-loan HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ${"k".repeat(20_000)}\r\n\r\n`,
      431,
      "headers-too-large",
    ],
    ["an unknown method", "FOO /register HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad-request"],
    ["a broken request line", "GET\r\n\r\n", 400, "bad-request"],
    [
      "an Expect other than 100-continue",
      "POST /register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: teapot\r\n\r\n",
      417,
      "expectation-failed",
    ],
    [
      "a request target that is not a path",
      "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
      400,
      "bad-request",
    ],
    [
      "a backslash in the path",
      "GET /view-loans\\1 HTTP/1.1\r\nHost: x\r\n\r\n",
      400,
      "bad-request",
    ],
    [
      "a Host that is not a host name",
      "GET /healthz HTTP/1.1\r\nHost: a@b\r\n\r\n",
      400,
      "bad-request",
    ],
    [
      "CONNECT",
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
      400,
      "bad-request",
    ],
  ])(
    "answers a request its HTTP edge refuses (%s) with problem+json",
    async (_, raw, status, kind) => {
      const answer = await rawExchange(server.url, raw);
      const [head = "", body = ""] = answer.split("\r\n\r\n");
      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/i);
      expect(head).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
      expect(JSON.parse(body)).toMatchObject({ status, type: `/problems/${kind}` });
    },
  );

  // A Host the URL parser refuses (a space, a bracket that is no IPv6 address) was named as the
  // request target, "must be a path without backslashes", for a target of /healthz.
  it.each([
    ["OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "request-target"],
    // Hosts the adapter parses as a URL (an IPv6 address, a port below 1000): its parser then fails
    // on the `*`, and the 400 named the Host.
    ["OPTIONS * HTTP/1.1\r\nHost: localhost:80\r\n\r\n", "request-target"],
    ["OPTIONS * HTTP/1.1\r\nHost: [::1]:8788\r\n\r\n", "request-target"],
    ["GET /view-loans\\1 HTTP/1.1\r\nHost: x\r\n\r\n", "request-target"],
    ["GET /healthz HTTP/1.1\r\nHost: a@b\r\n\r\n", "Host"],
    ["GET /healthz HTTP/1.1\r\nHost: bad host\r\n\r\n", "Host"],
    ["GET /healthz HTTP/1.1\r\nHost: [zz]\r\n\r\n", "Host"],
    // Node itself answered an HTTP/1.1 request without Host: an empty 400, no problem, no id.
    ["GET /healthz HTTP/1.1\r\n\r\n", "Host"],
    // Two Host lines (RFC 9112 §3.2: a 400), even equal: Node kept the first and answered 200, so
    // a proxy in front that routes or caches by the last one saw another host than the app did.
    ["GET /healthz HTTP/1.1\r\nHost: x\r\nHost: evil.example\r\n\r\n", "Host"],
    ["GET /healthz HTTP/1.1\r\nhost: x\r\nHOST: x\r\n\r\n", "Host"],
    ["GET /healthz HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n", "Host"],
  ])("names what it cannot serve in %j: %s", async (raw, field) => {
    const answer = await rawExchange(server.url, raw);
    const body = JSON.parse(answer.split("\r\n\r\n")[1] ?? "");
    expect(body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
  });

  it("limits request bodies to 64 KB, declared or chunked, and reads bodies within it", async () => {
    const register = (
      body: string | ReadableStream<Uint8Array>,
      headers: Record<string, string> = {},
    ) =>
      fetch(`${server.url}/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body,
        duplex: "half",
      } as RequestInit);
    const customer = {
      first_name: "Body",
      last_name: "Limit",
      age: 30,
      monthly_income: 50_000,
      phone_number: 5_123_456_789,
    };
    const oversized = JSON.stringify({ ...customer, padding: "x".repeat(70_000) });
    const chunked = (text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          const bytes = new TextEncoder().encode(text);
          for (let at = 0; at < bytes.length; at += 8_192)
            controller.enqueue(bytes.slice(at, at + 8_192));
          controller.close();
        },
      });

    const declared = await register(oversized);
    expect(declared.status).toBe(413);
    expect(declared.headers.get("content-type")).toContain("application/problem+json");
    const streamed = await register(chunked(oversized));
    expect(streamed.status).toBe(413);
    expect((await register(chunked(JSON.stringify(customer)))).status).toBe(201);
    const again = await register(JSON.stringify(customer));
    expect(again.status).toBe(409);
    expect(again.headers.get("cache-control")).toBe("no-store");
  });
});
