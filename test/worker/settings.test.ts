import { describe, expect, it } from "vitest";
import { call } from "../support/http";
import { expectProblem } from "../support/problem";

/*
 * The Worker reads its vars and secrets at its first request, not at a start it does not have. A
 * bad value used to be thrown out of the fetch handler: `wrangler dev` answered 500 text/plain
 * with the stack, Cloudflare its own error page, and /readyz could not say what was wrong.
 */
describe("the Worker with a setting that does not parse", () => {
  it.each([
    ["/view-loan/1", "GET"],
    ["/register", "POST"],
    ["/readyz", "GET"],
    ["/healthz", "GET"],
  ])("answers %s with a 503 problem naming the setting", async (path, method) => {
    const response = await call(path, {
      method,
      env: { AS_OF_DATE: "2025-02-30" },
      ...(method === "POST" ? { body: {} } : {}),
    });
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = await expectProblem(response, 503, "AS_OF_DATE");
    expect(body.type).toBe("/problems/not-ready");
    expect(body.detail).toBe("Not ready: the deployment's settings are not valid (AS_OF_DATE).");
    expect(body.errors).toEqual([
      { field: "AS_OF_DATE", message: "must be empty or a YYYY-MM-DD date" },
    ]);
  });

  it("names every setting that is wrong, and nothing of a secret's value", async () => {
    const secret = "sha256:not-a-digest-but-a-pasted-key";
    const response = await call("/view-loans/1", {
      env: { API_KEYS: secret, DECISION_RETENTION_MONTHS: "0" },
    });
    const body = await expectProblem(response, 503);
    expect(body.errors.map((error) => error.field)).toEqual([
      "API_KEYS",
      "DECISION_RETENTION_MONTHS",
    ]);
    expect(JSON.stringify(body)).not.toContain("pasted-key");
  });

  it("answers 503 naming an INGEST_TOKEN with a blank inside, never its value", async () => {
    // Taken, it made every ingest request a 401: `Bearer two words` is not one token. npm start
    // probes /openapi.json and stops with the problem's line.
    for (const path of ["/ingest/summary", "/openapi.json"]) {
      const response = await call(path, {
        env: { INGEST_TOKEN: "two s3cret-words" },
        headers: { Authorization: "Bearer two s3cret-words" },
      });
      const body = await expectProblem(response, 503, "INGEST_TOKEN");
      expect(body.errors[0]?.message).toMatch(
        /^has a blank .* at position 4: a bearer token is one word/,
      );
      expect(JSON.stringify(body)).not.toContain("s3cret");
    }
  });

  // `[vars] API_KEYS = ""`, or a secret put from an unset shell variable, meant keys and served
  // personal data to anyone.
  it.each(["", "   "])("answers 503 naming an API_KEYS of %j, never an open API", async (keys) => {
    for (const path of ["/view-loan/1", "/openapi.json"]) {
      const body = await expectProblem(
        await call(path, { env: { API_KEYS: keys } }),
        503,
        "API_KEYS",
      );
      expect(body.errors[0]?.message).toMatch(/^is blank: .* leave API_KEYS unset/);
    }
  });

  it("still answers with Server-Timing asked for", async () => {
    const response = await call("/view-loan/1", {
      env: { SERVER_TIMING: "true", INGEST_RETRY_DELAY_SECONDS: "soon" },
    });
    await expectProblem(response, 503, "INGEST_RETRY_DELAY_SECONDS");
  });
});

/*
 * Where the Worker's database comes from is configuration too. A DATABASE_URL that passed the
 * scheme check but that the libSQL client refuses (no host, a space, a port past 65535, a query
 * parameter it does not know, a fragment), or no database at all, used to answer every API
 * request 500 "Something went wrong on our side", logged as an unhandled TypeError, LibsqlError or
 * ConfigError, naming nothing; /readyz said only "did not answer (TypeError)".
 */
describe("the Worker with a database setting it cannot use", () => {
  const SECRET = "s3cret-token-in-the-url";
  it.each([
    ["libsql://", "no host"],
    ["https://credit example.turso.io", "a space"],
    ["libsql://credit.example.turso.io:99999", "a port past 65535"],
    [
      `libsql://credit.example.turso.io?authToken=${SECRET}&tls=maybe`,
      "a tls value it does not know",
    ],
    [`libsql://credit.example.turso.io?authToken=${SECRET}&region=eu`, "an unknown parameter"],
    [`https://credit.example.turso.io/#${SECRET}`, "a fragment"],
  ])("answers 503 naming DATABASE_URL for %j (%s), never its value", async (url) => {
    const env = { DATABASE_URL: url, DATABASE_AUTH_TOKEN: "token" };
    for (const body of await notReadyAnswers(env, "DATABASE_URL")) {
      expect(body.type).toBe("/problems/not-ready");
      expect(JSON.stringify(body)).not.toContain(SECRET);
    }
  });

  it("answers 503 naming the DB binding when there is no database at all", async () => {
    await notReadyAnswers({ DB: undefined }, "DB");
  });
});

/** A read, a write and /readyz under `env`: each a 503 problem naming `field`, returned. */
async function notReadyAnswers(env: Record<string, unknown>, field: string) {
  const bodies = [];
  for (const [path, method] of [
    ["/view-loan/1", "GET"],
    ["/register", "POST"],
    ["/readyz", "GET"],
  ] as const) {
    const response = await call(path, {
      method,
      env,
      ...(method === "POST" ? { body: {} } : {}),
    });
    const body = await expectProblem(response, 503, field);
    expect(body.detail).toBe(`Not ready: the deployment's settings are not valid (${field}).`);
    bodies.push(body);
  }
  return bodies;
}

/*
 * wrangler.toml's [vars] are TOML: `DECISION_RETENTION_MONTHS = 36` or `SERVER_TIMING = true`,
 * written without quotes, reach the Worker as a number or a boolean (checked under `wrangler
 * dev`), and were refused as "expected string, received number": the whole Worker answered 503.
 */
describe("the Worker with settings written as TOML numbers and booleans", () => {
  it("reads them as the text they spell", async () => {
    const response = await call("/view-loan/1", {
      env: {
        DECISION_RETENTION_MONTHS: 36,
        INGEST_RETRY_DELAY_SECONDS: 0,
        SERVER_TIMING: true,
      } as never,
    });
    await expectProblem(response, 404);
    expect(response.headers.get("Server-Timing")).toMatch(/^db;dur=/);
  });

  it.each(["true", "TRUE", "1", "yes", " on "])("turns Server-Timing on for %j", async (value) => {
    const response = await call("/view-loan/1", { env: { SERVER_TIMING: value } });
    expect(response.headers.get("Server-Timing")).toMatch(/^db;dur=/);
  });

  it.each(["", "false", "0", "off", false])("leaves Server-Timing off for %j", async (value) => {
    const response = await call("/view-loan/1", { env: { SERVER_TIMING: value } as never });
    await expectProblem(response, 404);
    expect(response.headers.get("Server-Timing")).toBeNull();
  });

  // A typo used to mean off, silently.
  it("names SERVER_TIMING when it is neither on nor off", async () => {
    const response = await call("/view-loan/1", { env: { SERVER_TIMING: "ture" } });
    const body = await expectProblem(response, 503, "SERVER_TIMING");
    expect(body.errors).toEqual([
      { field: "SERVER_TIMING", message: "must be true or false (1/0, yes/no, on/off)" },
    ]);
  });

  it("still refuses a TOML table, naming it", async () => {
    const response = await call("/view-loan/1", {
      env: { DECISION_RETENTION_MONTHS: { months: 36 } } as never,
    });
    await expectProblem(response, 503, "DECISION_RETENTION_MONTHS");
  });
});
