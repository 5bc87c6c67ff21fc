// The wrk runner against a real HTTP server: what it sends (methods, paths, JSON bodies, each
// unique request once) and what it counts (status codes, requests). Needs Debian's wrk, which
// .ci/run installs.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResult, runWrk, wrkInstalled } from "../../bench/lib/wrk";

interface Seen {
  method: string;
  path: string;
  body: string;
  contentType: string | undefined;
  authorization: string | undefined;
}

const seen: Seen[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const path = request.url ?? "";
      seen.push({
        method: request.method ?? "",
        path,
        body,
        contentType: request.headers["content-type"],
        authorization: request.headers.authorization,
      });
      response.statusCode = path === "/refused" ? 409 : request.method === "POST" ? 201 : 200;
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe.runIf(wrkInstalled())("wrk", () => {
  it("sends the requests drawn at random and counts each status code", async () => {
    seen.length = 0;
    const result = await runWrk({
      url,
      connections: 4,
      threads: 2,
      durationSeconds: 1,
      countStatuses: true,
      requests: [
        { method: "GET", path: "/read/1" },
        { method: "POST", path: "/booked", body: '{"amount":10}' },
        { method: "POST", path: "/refused", body: '{"amount":20}' },
      ],
    });
    expect(result.requests).toBeGreaterThan(100);
    expect(result.errors).toBe(0);
    const counted = Object.values(result.statusCodes).reduce((sum, n) => sum + n, 0);
    expect(counted).toBe(result.requests);
    expect(Object.keys(result.statusCodes).sort()).toEqual(["200", "201", "409"]);
    // Every request the server saw is one of the three, sent whole.
    const kinds = new Set(seen.map((s) => `${s.method} ${s.path} ${s.body} ${s.contentType}`));
    expect([...kinds].sort()).toEqual([
      "GET /read/1  undefined",
      'POST /booked {"amount":10} application/json',
      'POST /refused {"amount":20} application/json',
    ]);
    expect(result.latencyP99Ms).toBeGreaterThanOrEqual(result.latencyP50Ms);
  });

  it("sends the run's headers with every request, a body's Content-Type beside them", async () => {
    seen.length = 0;
    const result = await runWrk({
      url,
      connections: 2,
      threads: 1,
      durationSeconds: 1,
      headers: { Authorization: "Bearer bench_0123abcd" },
      requests: [
        { method: "GET", path: "/read/1" },
        { method: "POST", path: "/booked", body: '{"amount":10}' },
      ],
    });
    expect(result.requests).toBeGreaterThan(10);
    const kinds = new Set(seen.map((s) => `${s.method} ${s.authorization} ${s.contentType}`));
    expect([...kinds].sort()).toEqual([
      "GET Bearer bench_0123abcd undefined",
      "POST Bearer bench_0123abcd application/json",
    ]);
  });

  it("sends unique requests once each, split between its threads", async () => {
    seen.length = 0;
    const requests = Array.from({ length: 200_000 }, (_, i) => ({
      method: "POST" as const,
      path: "/register",
      body: JSON.stringify({ phone_number: 5_000_000_000 + i }),
    }));
    const result = await runWrk({
      url,
      connections: 4,
      threads: 2,
      durationSeconds: 1,
      requests,
      inTurn: true,
    });
    expect(result.requests).toBeGreaterThan(100);
    expect(result.requests).toBeLessThan(requests.length);
    const bodies = seen.map((s) => s.body);
    expect(new Set(bodies).size).toBe(bodies.length);
    expect(result.statusCodes).toEqual({ "2xx/3xx": result.requests });
  });
});

describe("wrk's result line", () => {
  it("splits wrk's own tally into 2xx/3xx and 4xx/5xx when codes were not counted", () => {
    const output = `Running 5s test\nWRK_RESULT {"requests":1000,"duration_us":5000000,"mean_us":700.5,"p50_us":650,"p99_us":2100,"non_2xx_3xx":12,"errors":1,"codes":{}}\n`;
    expect(parseResult(output, false)).toEqual({
      requests: 1000,
      seconds: 5,
      latencyMeanMs: 0.7005,
      latencyP50Ms: 0.65,
      latencyP99Ms: 2.1,
      statusCodes: { "2xx/3xx": 988, "4xx/5xx": 12 },
      errors: 1,
    });
  });

  it("fails loudly when wrk printed no result", () => {
    expect(() => parseResult("unable to connect\n", true)).toThrow(/no result/);
  });
});
