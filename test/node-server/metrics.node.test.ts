import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openRuntime } from "../../src/node/runtime";
import { type RunningServer, serveRuntime, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { abandonedExchange } from "../node/raw-http";
import { chunk, customerRow } from "../support/ingest";

/*
 * GET /metrics on the Node server over real HTTP: a scripted mix of requests, then one scrape
 * whose counters must equal what was sent and what the API answered — and carry nothing personal.
 */

const TOKEN = "metrics-test-ingest-token";
const PEOPLE = [
  { first_name: "Zephyrine", last_name: "Quillfeather", phone_number: 9_712_345_601 },
  { first_name: "Barnaby", last_name: "Oxenholme", phone_number: 9_712_345_602 },
];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's sample lines (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || line.startsWith("#")) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

function sumOf(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return found.reduce((sum, sample) => sum + sample.value, 0);
}

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "node-metrics-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<RunningServer> {
  return startServer(
    settingsFromEnv({
      PORT: "0",
      DATABASE_URL: `file:${join(directory, `${Object.keys(env).join("-") || "plain"}.db`)}`,
      INGEST_TOKEN: TOKEN,
      AS_OF_DATE: "2025-06-15",
      INGEST_RETRY_DELAY_SECONDS: "0",
      ...env,
    }),
  );
}

describe("GET /metrics after a scripted mix of requests", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve({});
  });
  afterAll(async () => {
    await server?.close();
  });

  it("counts every request, decision and ingested row that was sent, and nothing personal", async () => {
    const sent = new Map<string, number>();
    const decisions = new Map<string, number>();
    const reasons = new Map<string, number>();
    const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    const request = async (
      method: string,
      path: string,
      route: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { "Content-Type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      count(sent, `${method} ${route} ${String(response.status)[0]}xx`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const decided = (endpoint: string, approved: unknown, given: unknown) => {
      count(decisions, `${endpoint} ${approved ? "approved" : "refused"}`);
      for (const reason of given as { code: string }[])
        count(reasons, `${endpoint} ${reason.code}`);
    };

    const customerIds: number[] = [];
    for (const person of PEOPLE) {
      const registered = await request("POST", "/register", "/register", {
        ...person,
        age: 33,
        monthly_income: 40_000,
      });
      expect(registered.status).toBe(201);
      customerIds.push(registered.body.customer_id as number);
    }
    const loanIds: number[] = [];
    for (const customer_id of customerIds) {
      for (const loan_amount of [60_000, 9_000_000]) {
        const loan = { customer_id, loan_amount, interest_rate: 13, tenure: 24 };
        const checked = await request("POST", "/api/check-eligibility", "/check-eligibility", loan);
        decided("check-eligibility", checked.body.approval, checked.body.reasons);
        const created = await request("POST", "/create-loan", "/create-loan", loan);
        decided("create-loan", created.body.loan_approved, created.body.reasons);
        if (created.body.loan_id) loanIds.push(created.body.loan_id as number);
      }
      await request("GET", `/view-loans/${customer_id}`, "/view-loans/{customer_id}");
    }
    expect(loanIds.length).toBeGreaterThan(0);
    for (const loanId of loanIds)
      await request("GET", `/view-loan/${loanId}`, "/view-loan/{loan_id}");
    await request("GET", "/view-loan/87654321", "/view-loan/{loan_id}");
    await request("GET", "/no-such-page/9712345601", "unmatched");
    await request("POST", "/register", "/register", { first_name: "Zephyrine" });
    await request("GET", "/healthz", "/healthz");
    await request("GET", "/readyz", "/readyz");

    // One ingest job: three customer rows, of which one is refused (its phone is taken).
    const rows = [
      customerRow(8101),
      customerRow(8102),
      customerRow(8103, { phone_number: customerRow(8101).phone_number }),
    ];
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const enqueued = await request(
      "POST",
      "/ingest/batches",
      "/ingest/batches",
      { messages: [chunk("metrics-job", 0, "customers", rows)] },
      auth,
    );
    expect(enqueued.status).toBe(202);
    await vi.waitFor(
      async () => {
        const job = await request(
          "GET",
          "/ingest/jobs/metrics-job",
          "/ingest/jobs/{job_id}",
          undefined,
          auth,
        );
        expect(job.body.done).toBe(true);
      },
      { timeout: 10_000, interval: 50 },
    );

    const scraped = await fetch(`${server.url}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get("Content-Type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    const samples = parseExposition(text);

    // Requests: every combination sent, with exactly its count, and no other.
    const counted = samples.filter((sample) => sample.name === "http_requests_total");
    expect(
      new Map(
        counted.map((sample) => [
          `${sample.labels.method} ${sample.labels.route} ${sample.labels.status_class}`,
          sample.value,
        ]),
      ),
    ).toEqual(sent);
    for (const [key, times] of sent) {
      const [method, route, status_class] = key.split(" ") as [string, string, string];
      const labels = { method, route, status_class };
      expect(sumOf(samples, "http_request_duration_seconds_count", labels), key).toBe(times);
      expect(
        sumOf(samples, "http_request_duration_seconds_bucket", { ...labels, le: "+Inf" }),
      ).toBe(times);
    }

    // Decisions and refusal reasons, as the API answered them.
    expect(decisions.get("create-loan approved")).toBeGreaterThan(0);
    expect(decisions.get("create-loan refused")).toBeGreaterThan(0);
    for (const [key, times] of decisions) {
      const [endpoint, outcome] = key.split(" ") as [string, string];
      expect(sumOf(samples, "credit_decisions_total", { endpoint, outcome }), key).toBe(times);
    }
    // Every endpoint and reason is exposed from the start at 0; those given are counted.
    const reasonSamples = samples.filter(
      (sample) => sample.name === "credit_refusal_reasons_total" && sample.value > 0,
    );
    expect(
      new Map(reasonSamples.map((s) => [`${s.labels.endpoint} ${s.labels.reason}`, s.value])),
    ).toEqual(reasons);

    // The ingest job's rows, and the queues emptied.
    expect(sumOf(samples, "ingest_rows_total", { kind: "customers", stage: "read" })).toBe(3);
    expect(sumOf(samples, "ingest_rows_total", { kind: "customers", stage: "landed" })).toBe(2);
    expect(sumOf(samples, "ingest_rows_total", { kind: "customers", stage: "rejected" })).toBe(1);
    expect(sumOf(samples, "ingest_rows_total", { stage: "dead" })).toBe(0);
    expect(sumOf(samples, "ingest_queue_depth", { queue: "credit-ingest" })).toBe(0);
    expect(sumOf(samples, "ingest_queue_depth", { queue: "credit-ingest-dlq" })).toBe(0);

    // Process metrics from prom-client's default collectors.
    expect(sumOf(samples, "process_resident_memory_bytes", {})).toBeGreaterThan(0);

    // Nothing personal: no digit run of 7+ in any name or label (sample values are numbers, such
    // as byte counts and start times, and are left out), and none of the names or phone numbers.
    for (const line of text.split("\n")) {
      const described = line.startsWith("#") ? line : line.replace(/ \S+$/, "");
      expect(described, line).not.toMatch(/\d{7,}/);
    }
    for (const person of PEOPLE) {
      expect(text).not.toContain(person.first_name);
      expect(text).not.toContain(person.last_name);
      expect(text).not.toContain(String(person.phone_number));
    }
    for (const id of [...customerIds, ...loanIds]) {
      expect(counted.some((sample) => Object.values(sample.labels).includes(String(id)))).toBe(
        false,
      );
    }
  });
});

describe("/metrics settings", () => {
  it("METRICS_TOKEN: the scrape needs the bearer token; 401 problem+json otherwise", async () => {
    const server = await serve({ METRICS_TOKEN: "scrape-me" });
    try {
      const refused = await fetch(`${server.url}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("Content-Type")).toBe("application/problem+json");
      expect(refused.headers.get("WWW-Authenticate")).toBe('Bearer realm="metrics"');
      const wrong = await fetch(`${server.url}/metrics`, {
        headers: { Authorization: "Bearer not-it" },
      });
      expect(wrong.status).toBe(401);
      const allowed = await fetch(`${server.url}/metrics`, {
        headers: { Authorization: "Bearer scrape-me" },
      });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain("# TYPE http_requests_total counter");
    } finally {
      await server.close();
    }
  });

  it("METRICS=false: there is no /metrics", async () => {
    const server = await serve({ METRICS: "false" });
    try {
      const response = await fetch(`${server.url}/metrics`);
      expect(response.status).toBe(404);
      expect(server.runtime.metrics).toBeNull();
    } finally {
      await server.close();
    }
  });

  it("counts database errors by kind", async () => {
    const runtime = await openRuntime(
      settingsFromEnv({ DATABASE_URL: `file:${join(directory, "errors.db")}`, METRICS: "true" }),
    );
    const registry = runtime.metrics?.registry;
    // A fault no retry can fix: another connection drops the table the read needs (answered as a
    // schema behind the code, 503 not-ready, and counted as a database error of kind "other").
    const saboteur = new NativeDatabase(join(directory, "errors.db"));
    saboteur.exec("DROP TABLE loans");
    saboteur.close();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const response = await runtime.fetch(new Request("http://api.test/view-loans/1"));
      expect(response.status).toBe(503);
    } finally {
      errors.mockRestore();
      await runtime.close();
    }
    const samples = parseExposition((await registry?.metrics()) ?? "");
    expect(sumOf(samples, "database_errors_total", { kind: "other" })).toBe(1);
    expect(
      sumOf(samples, "http_requests_total", {
        route: "/view-loans/{customer_id}",
        status_class: "5xx",
      }),
    ).toBe(1);
  });
});

describe("requests whose client left before the answer", () => {
  // The lock is freed at half of it, by a timer of this process: the wait's deadline, polled by
  // the same event loop, must not pass first in a stall of a loaded machine's (1 s: 500 ms).
  const BUSY_TIMEOUT_MS = 3_000;
  let server: RunningServer;
  /** A second connection, to hold the write lock. */
  let other: InstanceType<typeof NativeDatabase>;
  beforeAll(async () => {
    const path = join(directory, "aborted.db");
    const settings = settingsFromEnv({ DATABASE_URL: `file:${path}`, METRICS: "true" });
    const runtime = await openRuntime(settings, { busyTimeoutMs: BUSY_TIMEOUT_MS });
    server = await serveRuntime(runtime, { host: "127.0.0.1", port: 0 });
    other = new NativeDatabase(path);
  });
  afterAll(async () => {
    other?.close();
    await server?.close();
  });

  const register = (body: string, sent = body) =>
    `POST /register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${sent}`;
  const registrations = async (status_class: string) =>
    sumOf(
      parseExposition((await server.runtime.metrics?.registry.metrics()) ?? ""),
      "http_requests_total",
      { method: "POST", route: "/register", status_class },
    );
  /**
   * Sends a registration and leaves after 200 ms, while another connection holds the write lock
   * for `lockMs`; waits until the request is counted as `outcome` (its handler has finished, the
   * write committed or refused), then tells whether the registration was committed. A fixed wait
   * of `lockMs` + 100 ms read the table before a write the process had been too busy to retry.
   */
  async function abandonWhileLocked(lockMs: number, outcome: "aborted" | "5xx"): Promise<boolean> {
    const customer = registration(50_000);
    const counted = await registrations(outcome);
    other.exec("BEGIN IMMEDIATE");
    const unlock = setTimeout(() => other.exec("COMMIT"), lockMs);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      await abandonedExchange(server.url, register(JSON.stringify(customer)), 200);
      await vi.waitFor(async () => expect(await registrations(outcome)).toBe(counted + 1), {
        timeout: 10_000,
        interval: 20,
      });
    } finally {
      clearTimeout(unlock);
      if (other.inTransaction) other.exec("COMMIT");
      errors.mockRestore();
    }
    const found = other.prepare("SELECT 1 FROM customers WHERE phone_number = ?");
    return found.all([customer.phone_number]).length === 1;
  }

  it("counts a body cut short as aborted, not as the 400 its unfinished JSON reads as", async () => {
    const body = JSON.stringify(registration(50_000));
    await abandonedExchange(server.url, register(body, body.slice(0, 20)), 100);
    await vi.waitFor(async () => expect(await registrations("aborted")).toBe(1), {
      timeout: 10_000,
    });
    expect(await registrations("4xx")).toBe(0);
    // A client that stays for its 400 is still a 4xx.
    const bad = await fetch(`${server.url}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{",
    });
    expect(bad.status).toBe(400);
    expect(await registrations("4xx")).toBe(1);
  });

  it("counts a write the client stopped waiting for as aborted, even once committed", async () => {
    expect(await abandonWhileLocked(BUSY_TIMEOUT_MS / 2, "aborted")).toBe(true);
    expect(await registrations("aborted")).toBe(2);
    expect(await registrations("2xx")).toBe(0);
  });

  it("still counts a 5xx as a 5xx when its client has left", async () => {
    // Past the busy timeout: the registration answers 503.
    expect(await abandonWhileLocked(BUSY_TIMEOUT_MS * 1.5, "5xx")).toBe(false);
    expect(await registrations("5xx")).toBe(1);
    expect(await registrations("aborted")).toBe(2);
  });
});
