import { describe, expect, it } from "vitest";
import { EXPECTED_MIGRATIONS } from "../../src/db/migration-names";
import { bytesToHex, sha256 } from "../../src/lib/sha256";
import { call, callJson } from "../support/http";
import { writeLimit } from "../support/write-limit";

/*
 * The operations endpoints on every backend. Their 503 cases need a database that fails, which
 * each runtime makes its own way: test/worker/readiness.test.ts (a failing D1 binding) and
 * test/node-server/health.node.test.ts (a closed file database).
 */

async function apiKeysOn() {
  return { API_KEYS: `sha256:${bytesToHex(await sha256("a-key-nobody-sends"))}` };
}

describe("GET /healthz", () => {
  it("answers 200 without touching anything", async () => {
    const { status, headers, body } = await callJson("/healthz");
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ok" });
    expect(headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("GET /readyz", () => {
  it("answers 200 when the database answers and every migration is applied", async () => {
    const { status, headers, body } = await callJson("/readyz");
    expect(status).toBe(200);
    expect(body).toEqual({ status: "ready", migrations: EXPECTED_MIGRATIONS.length });
    expect(headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("the health endpoints", () => {
  it("stay public when API keys are required", async () => {
    const env = await apiKeysOn();
    expect((await call("/view-loans/1", { env })).status).toBe(401);
    expect((await call("/healthz", { env })).status).toBe(200);
    expect((await call("/readyz", { env })).status).toBe(200);
  });

  it("are never rate limited", async () => {
    // One write a minute, spent at once (a server's own limiter over HTTP: see write-limit.ts).
    const env = writeLimit(1);
    await call("/register", { env, body: { first_name: "x" } });
    expect(
      (await call("/register", { env, body: { first_name: "x" } })).status,
      "the limiter is in force",
    ).toBe(429);
    for (let i = 0; i < 5; i++) {
      expect((await call("/healthz", { env })).status).toBe(200);
      expect((await call("/readyz", { env })).status).toBe(200);
    }
  });

  it("answer only GET (and HEAD), with 405 and Allow otherwise", async () => {
    const response = await call("/readyz", { method: "POST", body: {} });
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toContain("GET");
  });
});
