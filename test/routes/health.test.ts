import { describe, expect, it } from "vitest";
import { EXPECTED_MIGRATIONS } from "../../src/db/migration-names";
import { bytesToHex, sha256 } from "../../src/lib/security/api-keys";
import type { RateLimiter } from "../../src/lib/security/rate-limit";
import { backend } from "../support/backend";
import { call, callJson } from "../support/http";

/*
 * The operations endpoints on both backends. Their 503 cases need a database that fails, which
 * each runtime makes its own way: test/worker/readiness.test.ts (a failing D1 binding) and
 * test/node-server/health.node.test.ts (a closed file database).
 */

async function apiKeysOn() {
  return { API_KEYS: `sha256:${bytesToHex(await sha256("a-key-nobody-sends"))}` };
}

/** A limiter that refuses everything: whatever it guards answers 429. */
const refusingLimiter: RateLimiter = { limit: async () => ({ success: false }) };

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

  // A limiter object cannot reach a server process; the in-process Node app runs this one.
  it.skipIf(backend().name === "node-server")("are never rate limited", async () => {
    const env = { WRITE_RATE_LIMITER: refusingLimiter };
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
