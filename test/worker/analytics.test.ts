import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { REFUSAL_CODES } from "../../src/telemetry";
import worker from "../../src/worker/index";
import { damagedDb, failingWriteDb } from "../support/failing-d1";
import { chunk, customerRow } from "../support/ingest";
import { loggedLines } from "../support/logged-lines";
import { deliver } from "../support/queue-delivery";

/*
 * The Worker's metrics as Workers Analytics Engine data points. Miniflare's local dataset (bound
 * from wrangler.toml as METRICS) accepts writes and keeps nothing, so the assertions use a
 * recording dataset passed through the env in its place; the real local binding is exercised
 * too, to show a write through it never disturbs a request.
 */

function recordingDataset() {
  const points: AnalyticsEngineDataPoint[] = [];
  const dataset: AnalyticsEngineDataset = {
    writeDataPoint: (point = {}) => void points.push(point),
  };
  return { points, dataset };
}

async function send(
  path: string,
  overrides: Partial<Cloudflare.Env>,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const request = new Request(`http://api.test${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const byEvent = (points: AnalyticsEngineDataPoint[], event: string) =>
  points.filter((point) => point.indexes?.[0] === event);

describe("Analytics Engine data points", () => {
  it("writes one request point per request, with the route's template and never its ids", async () => {
    const { points, dataset } = recordingDataset();
    const registered = await send(
      "/register",
      { METRICS: dataset },
      {
        first_name: "Ottoline",
        last_name: "Brackwater",
        age: 41,
        monthly_income: 80_000,
        phone_number: 9_811_122_233,
      },
    );
    expect(registered.status).toBe(201);
    const { customer_id } = (await registered.json()) as { customer_id: number };
    expect((await send(`/api/view-loans/${customer_id}`, { METRICS: dataset })).status).toBe(200);
    expect((await send("/view-loan/987654321", { METRICS: dataset })).status).toBe(404);
    expect((await send("/no/such/path/5551234567", { METRICS: dataset })).status).toBe(404);

    const requests = byEvent(points, "request");
    expect(requests.map((point) => point.blobs)).toEqual([
      ["request", "POST", "/register", "2xx"],
      ["request", "GET", "/view-loans/{customer_id}", "2xx"],
      ["request", "GET", "/view-loan/{loan_id}", "4xx"],
      ["request", "GET", "unmatched", "4xx"],
    ]);
    for (const point of requests) {
      expect(point.doubles).toHaveLength(2);
      expect(point.doubles?.[0]).toBeGreaterThanOrEqual(0);
    }
    expect(requests.map((point) => point.doubles?.[1])).toEqual([201, 200, 404, 404]);
    const written = JSON.stringify(points);
    expect(written).not.toMatch(/\d{7,}/);
    expect(written).not.toMatch(/Ottoline|Brackwater/);
  });

  it("writes a method it does not know as OTHER, as the Node server's metrics do", async () => {
    const { points, dataset } = recordingDataset();
    for (const method of ["PROPFIND", "PURGE", "PATCH"]) {
      const request = new Request("http://api.test/healthz", { method });
      const ctx = createExecutionContext();
      await worker.fetch(request, { ...env, METRICS: dataset }, ctx);
      await waitOnExecutionContext(ctx);
    }
    expect(byEvent(points, "request").map((point) => point.blobs?.[1])).toEqual([
      "OTHER",
      "OTHER",
      "PATCH",
    ]);
  });

  it("writes a decision point per decision, with one double per refusal reason", async () => {
    const { points, dataset } = recordingDataset();
    const registered = await send(
      "/register",
      { METRICS: dataset },
      {
        first_name: "Perpetua",
        last_name: "Gallowglass",
        age: 35,
        monthly_income: 30_000,
        phone_number: 9_822_233_344,
      },
    );
    const { customer_id } = (await registered.json()) as { customer_id: number };
    const small = { customer_id, loan_amount: 50_000, interest_rate: 14, tenure: 12 };
    const huge = { customer_id, loan_amount: 5_000_000, interest_rate: 14, tenure: 12 };
    expect((await send("/check-eligibility", { METRICS: dataset }, small)).status).toBe(200);
    const refused = await send("/create-loan", { METRICS: dataset }, huge);
    expect(refused.status).toBe(200);
    const refusal = (await refused.json()) as { reasons: { code: string }[] };
    expect((await send("/create-loan", { METRICS: dataset }, small)).status).toBe(201);

    const decisions = byEvent(points, "decision");
    const reasonCodes = refusal.reasons.map((reason) => reason.code);
    expect(reasonCodes.length).toBeGreaterThan(0);
    expect(decisions.map((point) => point.blobs)).toEqual([
      ["decision", "check-eligibility", "approved", ""],
      ["decision", "create-loan", "refused", reasonCodes.join(",")],
      ["decision", "create-loan", "approved", ""],
    ]);
    expect(decisions[1]?.doubles).toEqual([
      0,
      ...REFUSAL_CODES.map((code) => (reasonCodes.includes(code) ? 1 : 0)),
    ]);
    expect(decisions[0]?.doubles).toEqual([1, 0, 0, 0, 0]);
  });

  it("writes the consumer's rows: read and landed, rejected, dead", async () => {
    const { points, dataset } = recordingDataset();
    const rows = [
      customerRow(7001),
      customerRow(7002),
      customerRow(7003, { phone_number: customerRow(7001).phone_number }),
    ];
    await deliver([chunk("metrics-job", 0, "customers", rows)], { env: { METRICS: dataset } });
    await deliver([chunk("metrics-job", 1, "customers", [customerRow(7004)])], {
      queue: "credit-ingest-dlq",
      env: { METRICS: dataset },
    });
    const ingest = byEvent(points, "ingest");
    expect(ingest.map((point) => [point.blobs, point.doubles])).toEqual([
      [
        ["ingest", "customers"],
        [3, 0, 0, 0],
      ],
      [
        ["ingest", "customers"],
        [0, 2, 1, 0],
      ],
      [
        ["ingest", "customers"],
        [0, 0, 0, 1],
      ],
    ]);
  });

  it("writes a database error point, by kind, when the database fails a request", async () => {
    const { points, dataset } = recordingDataset();
    const registered = await send(
      "/register",
      { METRICS: dataset },
      {
        first_name: "Hild",
        last_name: "Ashcombe",
        age: 29,
        monthly_income: 60_000,
        phone_number: 9_833_344_455,
      },
    );
    const { customer_id } = (await registered.json()) as { customer_id: number };
    // Keyed: the key's read is the batch that succeeds, the booking the one that fails.
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const failing = await send(
      "/create-loan",
      { METRICS: dataset, DB: failingWriteDb("before-commit") },
      { customer_id, loan_amount: 50_000, interest_rate: 14, tenure: 12 },
      { "Idempotency-Key": "metrics-database-error" },
    );
    errors.mockRestore();
    expect(failing.status).toBe(503);
    expect(byEvent(points, "database_error").map((point) => point.blobs)).toEqual([
      ["database_error", "busy"],
    ]);
    expect(byEvent(points, "request").at(-1)?.blobs).toEqual([
      "request",
      "POST",
      "/create-loan",
      "5xx",
    ]);
  });

  it.each([
    ["SQLITE_CORRUPT", 9_844_455_566, "a part of it this request needs cannot be read"],
    ["SQLITE_NOTADB", 9_844_455_567, "its file no longer reads as a SQLite database"],
  ] as const)(
    "writes a database error point of kind damaged when D1 reports %s, and logs that code",
    async (code, phone, meaning) => {
      const { points, dataset } = recordingDataset();
      const registered = await send(
        "/register",
        { METRICS: dataset },
        {
          first_name: "Wynn",
          last_name: "Halloway",
          age: 37,
          monthly_income: 70_000,
          phone_number: phone,
        },
      );
      const { customer_id } = (await registered.json()) as { customer_id: number };
      const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
      const failing = await send(
        "/create-loan",
        { METRICS: dataset, DB: damagedDb([2], code) },
        { customer_id, loan_amount: 50_000, interest_rate: 14, tenure: 12 },
        { "Idempotency-Key": `metrics-damaged-database-${code}` },
      );
      const logged = errors.mock.calls.map((call) => JSON.parse(String(call[0])).what);
      errors.mockRestore();
      expect(failing.status).toBe(503);
      expect(failing.headers.get("retry-after")).toBeNull();
      // SQLITE_NOTADB was answered "a part of it this request needs cannot be read" too.
      expect(((await failing.json()) as { detail: string }).detail).toBe(
        `The database is damaged: ${meaning}. Nothing was changed; the database must be restored from a backup before this request can succeed.`,
      );
      // Counted as "other" until 2026-12-05, with SQL errors and a schema behind the code.
      expect(byEvent(points, "database_error").map((point) => point.blobs)).toEqual([
        ["database_error", "damaged"],
      ]);
      // It said SQLITE_CORRUPT for both.
      expect(logged).toEqual([`database damaged (${code})`]);
    },
  );

  it("never fails a request: not with a throwing dataset, not through the local binding, not without one", async () => {
    const throwing: AnalyticsEngineDataset = {
      writeDataPoint: () => {
        throw new Error("Analytics Engine is down");
      },
    };
    expect(env.METRICS, "wrangler.toml binds the dataset").toBeDefined();
    for (const METRICS of [throwing, env.METRICS, undefined]) {
      const response = await send("/readyz", { METRICS });
      expect(response.status).toBe(200);
    }
  });

  /*
   * A METRICS that is not a dataset (a `[vars]` entry named METRICS in place of the
   * `[[analytics_engine_datasets]]` block), or a dataset whose every write fails, lost every point
   * with no line saying so: each write threw and was swallowed.
   */
  it("says once that METRICS is not a dataset, and once per dataset that its writes fail", async () => {
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      for (let i = 0; i < 2; i++) {
        const response = await send("/readyz", { METRICS: "credit_api_events" } as never);
        expect(response.status).toBe(200);
      }
      const failing: AnalyticsEngineDataset = {
        writeDataPoint: () => {
          throw new TypeError("blob too long");
        },
      };
      for (let i = 0; i < 2; i++) {
        expect((await send("/readyz", { METRICS: failing })).status).toBe(200);
      }
      expect(loggedLines(warnings)).toEqual([
        {
          level: "warn",
          what: "metrics off: METRICS is not an Analytics Engine dataset",
          bound: "string",
        },
        { level: "warn", what: "metrics write failed", error: "TypeError" },
      ]);
    } finally {
      warnings.mockRestore();
    }
  });
});
