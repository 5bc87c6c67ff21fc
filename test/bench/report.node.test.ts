// The bench report's arithmetic: each endpoint's share of the hello world's req/s, and the
// targets met or not. Deterministic: made-up rows, no load.
import { describe, expect, it } from "vitest";
import { HELLO_WORLD, type LoadRow, loadGeneratorNote } from "../../bench/lib/load";
import { markdown, targetChecks, withShareOfHelloWorld } from "../../bench/lib/report";

function row(
  target: string,
  endpoint: LoadRow["endpoint"],
  connections: number,
  rps: number,
  p99 = 5,
): LoadRow {
  return {
    target,
    data: target.startsWith("hello") ? "none" : "10k",
    endpoint,
    connections,
    requests_per_second: rps,
    latency_mean_ms: 1,
    latency_from_rate_ms: 1,
    latency_p50_ms: 1,
    latency_p99_ms: p99,
    requests: rps,
    status_codes: { "200": rps },
    errors: 0,
    load_average: 1,
    load_generator: "wrk",
  };
}

describe("the share of the hello world", () => {
  it("divides by the mean of the hello worlds around the row, at the same connections", () => {
    const rows = withShareOfHelloWorld([
      row("hello world", HELLO_WORLD, 1, 2_000),
      row("hello world", HELLO_WORLD, 10, 4_000),
      row("node", "GET /api", 1, 1_500),
      row("node", "GET /api", 10, 3_000),
      row("hello world", HELLO_WORLD, 10, 6_000),
      row("node, 1 process", "GET /view-loans/{id}", 10, 1_234),
      row("node, 1 process", "GET /view-loans/{id}", 100, 1_234),
    ]);
    expect(rows.map((r) => [r.hello_world_requests_per_second, r.percent_of_hello_world])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
      [2_000, 75], // only a hello world before it at 1 connection
      [5_000, 60], // between 4,000 and 6,000
      [undefined, undefined],
      [6_000, 20.6], // after the last hello world: 1,234 / 6,000
      [undefined, null], // no hello world at 100 connections
    ]);
  });

  it("does not take the load generator check's rows as the ceiling", () => {
    const rows = withShareOfHelloWorld([
      row("hello world", HELLO_WORLD, 10, 4_000),
      row("node", "GET /api", 10, 2_000),
      { ...row("hello world, load generator check", HELLO_WORLD, 10, 8_000), load_workers: 2 },
    ]);
    expect(rows.map((r) => r.percent_of_hello_world)).toEqual([undefined, 50, undefined]);
  });
});

describe("the targets", () => {
  const measured = withShareOfHelloWorld([
    row("hello world", HELLO_WORLD, 10, 10_000),
    row("node", "GET /api", 10, 7_000, 4),
    row("node", "GET /view-loans/{id}", 10, 2_699, 10),
    row("node", "POST /check-eligibility", 10, 1_800, 11),
    row("node", "POST /check-eligibility", 1, 100, 50),
  ]);

  it("marks each share met at or above its percentage, and each p99 met at or under 10 ms", () => {
    const checks = targetChecks(measured, "node", "10k");
    expect(checks.map((c) => [c.endpoint, c.goal, c.measured, c.met])).toEqual([
      ["GET /api", "≥ 70 % of hello world", 70, true],
      ["GET /view-loans/{id}", "≥ 27 % of hello world", 27, true],
      ["POST /check-eligibility", "≥ 18 % of hello world", 18, true],
      ["GET /api", "p99 ≤ 10 ms", 4, true],
      ["GET /view-loans/{id}", "p99 ≤ 10 ms", 10, true],
      ["POST /check-eligibility", "p99 ≤ 10 ms", 11, false],
    ]);
  });

  it("says not met just below a share", () => {
    const below = withShareOfHelloWorld([
      row("hello world", HELLO_WORLD, 10, 10_000),
      row("node", "GET /view-loans/{id}", 10, 2_690),
    ]);
    const check = targetChecks(below, "node", "10k").find(
      (c) => c.endpoint === "GET /view-loans/{id}",
    );
    expect([check?.measured, check?.met]).toEqual([26.9, false]);
  });

  it("says not measured for a configuration that did not run", () => {
    const checks = targetChecks(measured, "node, 1 process", "10k");
    expect(checks.every((c) => c.measured === null && c.met === null)).toBe(true);
    expect(checks.map((c) => c.endpoint)).toContain("every endpoint");
  });

  it("shows the percentages and the marks in the Markdown report", () => {
    const text = markdown({
      date: "2026-12-01T00:00:00.000Z",
      wall_seconds: 1,
      machine: { cpus: 2, model: "test", node: "v20", load_average: [1, 1, 1] },
      settings: { duration_s: 1, full: false, as_of_date: "2025-06-15" },
      bundle: { error: "not run" },
      round_trips: [],
      load: measured,
      ingest: [],
      scale: [],
      targets: targetChecks(measured, "node", "10k"),
      notes: [],
    });
    expect(text).toContain("| node | 10k | GET /api | 10 | 7000 | 70 % of 10000 |");
    expect(text).toContain(
      "| node | 10k | POST /check-eligibility | p99 ≤ 10 ms | 11 ms | **not met** |",
    );
    expect(text).toContain("| node | 10k | GET /api | ≥ 70 % of hello world | 70 % | met |");
  });
});

describe("the load generator", () => {
  it("notes that a run loaded by autocannon is not comparable with wrk's figures", () => {
    expect(loadGeneratorNote("wrk")).toBeNull();
    const note = loadGeneratorNote("autocannon");
    expect(note).toContain("not comparable");
    expect(note).toContain("apt-get install wrk");
  });
});
