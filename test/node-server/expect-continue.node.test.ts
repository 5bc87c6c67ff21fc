import { describe, expect, it } from "vitest";
import { continueExchange, statusesIn } from "../node/raw-http";
import { apiKeySetting, serverPerFile } from "../node/server-per-file";

/*
 * `Expect: 100-continue` on the Node server, over a raw socket that sends the body only after a
 * `100 Continue`, as curl does: a request the app answers without reading its body gets that
 * answer at once, without the 100, so the client never uploads what would be refused.
 */

const KEYS = ["expect-continue-test-key-one-0123456789abcdef", "expect-continue-test-key-two-0123"];
const TOKEN = "expect-continue-ingest-token";
const RATE_LIMIT = 20;

const served = serverPerFile("expect-continue-", {
  API_KEYS: KEYS.map(apiKeySetting).join(),
  INGEST_TOKEN: TOKEN,
  RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
});

/** A POST with `Expect: 100-continue`, its body sent only after a 100. */
function post(path: string, body: string, headers: Record<string, string> = {}) {
  const lines = Object.entries({
    Host: "x",
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    Expect: "100-continue",
    Connection: "close",
    ...headers,
  }).map(([name, value]) => `${name}: ${value}`);
  return continueExchange(
    served.server.url,
    `POST ${path} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`,
    body,
  );
}

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const customer = JSON.stringify({
  first_name: "Expect",
  last_name: "Continue",
  age: 30,
  monthly_income: 50_000,
  phone_number: 5_987_654_321,
});
const oversized = "x".repeat(70_000);

describe("Expect: 100-continue on the Node server", () => {
  it("sends 100 Continue, then the answer, for a body the app reads", async () => {
    const { answer, bodySent } = await post("/register", customer, bearer(KEYS[0] ?? ""));
    expect(statusesIn(answer)).toEqual(["100", "201"]);
    expect(bodySent).toBe(true);
  });

  it.each([
    [
      "a declared length over the 64 KB limit",
      "/register",
      oversized,
      bearer(KEYS[0] ?? ""),
      "413",
    ],
    [
      "an ingest body over its 512 KB limit",
      "/ingest/batches",
      "x".repeat(600_000),
      bearer(TOKEN),
      "413",
    ],
    ["a write without the API key", "/register", customer, {}, "401"],
    ["a write with an unknown API key", "/register", customer, bearer("not-a-key"), "401"],
    ["an ingest without its token", "/ingest/batches", "{}", {}, "401"],
    ["no such route", "/no-such-route", customer, bearer(KEYS[0] ?? ""), "404"],
    ["a method the route does not allow", "/view-loans/1", customer, bearer(KEYS[0] ?? ""), "405"],
    [
      "a compressed body",
      "/register",
      customer,
      { ...bearer(KEYS[0] ?? ""), "Content-Encoding": "gzip" },
      "415",
    ],
  ])(
    "answers %s at once, without 100 Continue, and closes the connection",
    async (_, path, body, headers, status) => {
      // Kept alive as far as the client goes: the close must be the server's own doing.
      const { answer, bodySent } = await post(path, body, { ...headers, Connection: "keep-alive" });
      expect(statusesIn(answer)).toEqual([status]);
      expect(answer).toMatch(/\r\nConnection: close\r\n/i);
      expect(answer).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/i);
      expect(bodySent).toBe(false);
    },
  );

  it("answers a write over the rate limit with 429 before 100 Continue", async () => {
    const headers = bearer(KEYS[1] ?? "");
    // The limit counts per key: the second key spends it (400s: empty bodies).
    for (let write = 0; write < RATE_LIMIT; write++) {
      const spent = await fetch(`${served.server.url}/register`, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: "{}",
      });
      expect(spent.status).toBe(400);
    }
    const { answer, bodySent } = await post("/register", customer, headers);
    expect(statusesIn(answer)).toEqual(["429"]);
    expect(bodySent).toBe(false);
  });

  it("sends 100 Continue for a chunked body, whose size is known only once read, then 413", async () => {
    const raw = [
      "POST /register HTTP/1.1",
      "Host: x",
      "Content-Type: application/json",
      "Transfer-Encoding: chunked",
      "Expect: 100-continue",
      `Authorization: Bearer ${KEYS[0]}`,
      "Connection: close",
      "",
      "",
    ].join("\r\n");
    const chunk = "x".repeat(8_192);
    const chunks = `${`${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(9)}0\r\n\r\n`;
    const { answer, bodySent } = await continueExchange(served.server.url, raw, chunks);
    expect(statusesIn(answer)).toEqual(["100", "413"]);
    expect(bodySent).toBe(true);
  });
});
