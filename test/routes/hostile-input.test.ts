import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backend } from "../support/backend";
import { call, uniquePhone } from "../support/http";

/*
 * Hostile input over every endpoint's body, path and headers. Whatever arrives: never a 5xx,
 * every error is problem+json, and a rejected request changes nothing stored. Seed and run count
 * are printed so a failure can be replayed (FUZZ_SEED=… npm test).
 */

const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() + 7) % 2 ** 31);
const RUNS = 120;

const nasty = fc.oneof(
  fc.constantFrom(
    "NaN",
    "Infinity",
    "-Infinity",
    "1e308",
    "-0",
    "0x10",
    "1_000",
    "１２３",
    "\u0000",
    "\ud800",
    "\u202eevil",
    "\u200b",
    "😀".repeat(50),
    "' OR 1=1 --",
    '"; DROP TABLE loans; --',
    "%00",
    "../../etc/passwd",
  ),
  fc.constantFrom(1e308, -1e308, -0, Number.MAX_SAFE_INTEGER + 2, 5e-324, 0.1 + 0.2),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("x".repeat(60_000)),
  fc.anything({ maxDepth: 3 }),
);

const fields = [
  "first_name",
  "last_name",
  "age",
  "monthly_income",
  "phone_number",
  "customer_id",
  "loan_amount",
  "interest_rate",
  "tenure",
];

/** Raw JSON texts a parser must survive: deep nesting, duplicate and prototype keys, oddities. */
const rawJson = fc.oneof(
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc
    .integer({ min: 1, max: 20_000 })
    .map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`),
  fc.constantFrom(
    '{"age": 30, "age": "thirty"}',
    '{"__proto__": {"approved": true}, "customer_id": 1, "loan_amount": 1, "interest_rate": 1, "tenure": 1}',
    '{"constructor": {"prototype": {"admin": true}}}',
    '{"customer_id": 1e400, "loan_amount": 1, "interest_rate": 1, "tenure": 1}',
    '{"customer_id": -0, "loan_amount": -0.0, "interest_rate": 0, "tenure": 1}',
    "\ufeff{}",
    '{"a": "\\ud800"}',
  ),
  fc
    .dictionary(fc.constantFrom(...fields, "__proto__", "constructor", "toString"), nasty, {
      maxKeys: 6,
    })
    .map((body) => JSON.stringify(body)),
);

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json-seq",
  "",
);

const path = fc.oneof(
  fc.constantFrom(
    "/register",
    "/check-eligibility",
    "/create-loan",
    "/api/register/",
    "/api/create-loan",
    "/make-payment/1/1",
    "/api/make-payment/1/1/",
  ),
  nasty.map(
    (value) => `/make-payment/${encodeURIComponent(wellFormed(String(value))).slice(0, 200)}/1`,
  ),
  nasty.map(
    (value) => `/view-statement/1/${encodeURIComponent(wellFormed(String(value))).slice(0, 200)}`,
  ),
  nasty.map((value) => `/view-loan/${encodeURIComponent(wellFormed(String(value))).slice(0, 200)}`),
  nasty.map(
    (value) => `/view-loans/${encodeURIComponent(wellFormed(String(value))).slice(0, 200)}`,
  ),
  nasty.map((value) => `/decisions/${encodeURIComponent(wellFormed(String(value))).slice(0, 200)}`),
  fc
    .tuple(nasty, nasty, nasty)
    .map(
      ([id, limit, cursor]) =>
        `/customers/${encodeURIComponent(wellFormed(String(id))).slice(0, 100)}/decisions?limit=${encodeURIComponent(wellFormed(String(limit))).slice(0, 100)}&cursor=${encodeURIComponent(wellFormed(String(cursor))).slice(0, 200)}`,
    ),
);

const headerValue = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.constantFrom("", " ", "x".repeat(2000), "Bearer", "Bearer \u0000"),
);

/** A lone surrogate cannot be put in a URL at all; replace it as a browser would. */
function wellFormed(text: string): string {
  return text.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    "\ufffd",
  );
}

async function storedRows(): Promise<string> {
  const [row] = await backend().query<Record<string, number>>(
    "SELECT (SELECT COUNT(*) FROM customers) AS customers, (SELECT COUNT(*) FROM loans) AS loans, (SELECT COUNT(*) FROM idempotency_keys) AS keys, (SELECT COUNT(*) FROM payments) AS payments, (SELECT COUNT(*) FROM decision_records) AS decisions",
  );
  return JSON.stringify(row);
}

/** Header values a Request can carry (visible ASCII and spaces); others cannot be sent at all. */
function sendable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, "?").trim();
}

describe(`hostile input (seed ${SEED}, ${RUNS} runs each)`, () => {
  it("bodies, content types, paths and headers never cause a 5xx, and rejections store nothing", async () => {
    console.log(`hostile-input fuzz: seed=${SEED} runs=${RUNS}`);
    await fc.assert(
      fc.asyncProperty(
        path,
        rawJson,
        contentType,
        fc.constantFrom("GET", "POST"),
        headerValue,
        headerValue,
        async (target, body, type, method, key, auth) => {
          const before = await storedRows();
          const response = await call(target, {
            method,
            rawBody: method === "POST" ? body : undefined,
            headers: {
              ...(type ? { "Content-Type": type } : {}),
              "Idempotency-Key": sendable(key),
              Authorization: sendable(auth),
            },
          });
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400) {
            expect(response.headers.get("content-type")).toBe("application/problem+json");
            const problem = (await response.json()) as { status: number; detail: string };
            expect(problem.status).toBe(response.status);
            expect(await storedRows()).toBe(before);
          } else {
            await response.body?.cancel();
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it("stores SQL metacharacters and unicode in every string field as plain data", async () => {
    for (const text of [
      "Robert'); DROP TABLE customers;--",
      '" OR ""="',
      "Zoë 李 😀",
      "\\x00;--",
      "%' AND 1=1",
    ]) {
      const response = await call("/register", {
        body: {
          first_name: text,
          last_name: text,
          age: 40,
          monthly_income: 50_000,
          phone_number: uniquePhone(),
        },
      });
      expect(response.status).toBe(201);
      const stored = (await response.json()) as {
        customer_id: number;
        first_name: string;
        last_name: string;
      };
      expect([stored.first_name, stored.last_name]).toEqual([text.trim(), text.trim()]);
      const key = `${text}`.replace(/[^\x21-\x7e]/g, "_");
      const booked = await call("/create-loan", {
        body: { customer_id: stored.customer_id, loan_amount: 100, interest_rate: 15, tenure: 2 },
        headers: { "Idempotency-Key": key },
      });
      expect(booked.status).toBe(201);
    }
    const [counts] = await backend().query<{ n: number }>("SELECT COUNT(*) AS n FROM customers");
    expect(counts?.n).toBeGreaterThan(0);
  });
});
