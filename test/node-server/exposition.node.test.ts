import { randomBytes, randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { scratchFiles } from "../node/ingest-fixtures";
import { parseExposition } from "../support/prometheus-text";

/*
 * GET /metrics as a Prometheus server reads it: strictly valid text format 0.0.4 after ordinary
 * and hostile traffic, and a number of series a script cannot grow (random paths, ids, methods,
 * query strings and header values all land in the same few series).
 */

const scratch = scratchFiles();
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(
    settingsFromEnv({
      PORT: "0",
      DATABASE_URL: `file:${scratch("exposition.db")}`,
      AS_OF_DATE: "2025-06-15",
      RATE_LIMIT_PER_MINUTE: "100000",
    }),
  );
});
afterAll(async () => {
  await server?.close();
});

const noise = () => randomBytes(6).toString("hex");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "PROPFIND", "BREW"];

/** One round of an attacker's requests: every part a script controls is random. */
async function hostileRound(requests: number): Promise<void> {
  const paths = [
    () => `/${noise()}/${randomInt(1e9)}`,
    () => `/view-loan/${randomInt(1e9)}?${noise()}=${noise()}`,
    () => `/api/view-loans/${noise()}`,
    () => `/make-payment/${randomInt(1e6)}/${randomInt(1e6)}`,
    () => `/decisions/${randomInt(1e9)}`,
    () => `/ingest/jobs/${noise()}`,
    () => `/console/${noise()}`,
    () => `/metrics/${noise()}`,
    () => `/readyz?${noise()}`,
    () => `/%2e%2e/${noise()}`,
  ];
  await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      const method = METHODS[i % METHODS.length] as string;
      const path = (paths[i % paths.length] as () => string)();
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          "User-Agent": `${noise()}\\"}\n`.replace("\n", ""),
          "X-Forwarded-For": `10.${randomInt(255)}.${randomInt(255)}.${randomInt(255)}`,
          "Content-Type": `application/${noise()}`,
          "X-Request-Id": noise(),
        },
        body: method === "GET" || method === "HEAD" ? undefined : `{"${noise()}":"\\""}`,
      });
      await response.arrayBuffer();
    }),
  );
}

async function scrape() {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await response.text());
}

const seriesCount = (families: Awaited<ReturnType<typeof scrape>>) =>
  [...families.values()]
    .filter((family) => !/^(process|nodejs)_/.test(family.name))
    .reduce((sum, family) => sum + family.samples.length, 0);

describe("GET /metrics", () => {
  it("is valid text format 0.0.4 after ordinary requests and a decision", async () => {
    const registered = await fetch(`${server.url}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(registration(50_000)),
    });
    const { customer_id } = (await registered.json()) as { customer_id: number };
    const loan = { customer_id, loan_amount: 60_000, interest_rate: 13, tenure: 24 };
    for (const path of ["/check-eligibility", "/create-loan"]) {
      const answer = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(loan),
      });
      expect(answer.status).toBeLessThan(300);
    }
    const families = await scrape();
    expect(families.get("http_requests_total")?.type).toBe("counter");
    expect(families.get("http_request_duration_seconds")?.type).toBe("histogram");
    for (const family of families.values()) expect(family.help, family.name).toBeDefined();
  });

  it("keeps a bounded set of series however many random paths, ids and methods a script sends", async () => {
    await hostileRound(200);
    const first = await scrape();
    await hostileRound(200);
    const second = await scrape();
    // The same request shapes with other random values: not one new series.
    expect(seriesCount(second)).toBe(seriesCount(first));
    expect(seriesCount(second)).toBeLessThan(400);
    const labelValues = [...second.values()].flatMap((family) =>
      family.samples.flatMap((sample) => Object.values(sample.labels)),
    );
    for (const value of labelValues) expect(value).not.toMatch(/[0-9a-f]{12}|\d{5,}/);
  });
});

describe("the strict reader these tests use", () => {
  const valid = [
    "# HELP c_total A counter.",
    "# TYPE c_total counter",
    'c_total{a="x\\\\y\\"z\\n"} 1',
    "# TYPE h histogram",
    'h_bucket{le="0.1"} 1',
    'h_bucket{le="+Inf"} 2',
    "h_sum 0.3",
    "h_count 2",
    "",
  ].join("\n");

  it("reads a valid exposition, escapes included", () => {
    const families = parseExposition(valid);
    expect(families.get("c_total")?.samples[0]?.labels.a).toBe('x\\y"z\n');
  });

  it.each([
    ["no trailing newline", valid.slice(0, -1)],
    ["TYPE twice", valid.replace("# TYPE h histogram", "# TYPE h histogram\n# TYPE h histogram")],
    ["TYPE after samples", `${valid}# TYPE c_total counter\n`],
    ["a family split in two", `${valid}c_total{a="other"} 1\n`],
    ["a duplicate series", valid.replace("h_sum", 'c_total{a="x\\\\y\\"z\\n"} 1\nh_sum')],
    ["an unknown escape", valid.replace("\\n", "\\t")],
    ["buckets not cumulative", valid.replace('le="0.1"} 1', 'le="0.1"} 3')],
    ["+Inf not the count", valid.replace("h_count 2", "h_count 3")],
    ["no _sum", valid.replace("h_sum 0.3\n", "")],
    ["no +Inf bucket", valid.replace('h_bucket{le="+Inf"} 2\n', "")],
  ])("refuses %s", (_, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
