import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServeProcess, startServeProcess } from "../node/serve-process";
import { serverPerFile } from "../node/server-per-file";

/*
 * The Node server counts the write limit per client address: the socket's, since a
 * CF-Connecting-IP or X-Forwarded-For header is the client's own word (only Cloudflare's edge sets
 * the first truthfully), so a new one per request must not buy a new allowance. Behind a reverse
 * proxy named in TRUSTED_PROXIES, the client is the right-most X-Forwarded-For entry the proxies
 * did not write themselves, so callers behind one proxy no longer share one limit. An IPv6 client
 * counts by its /64, as an IPv4 one by its address.
 */

const served = serverPerFile("client-address-", {
  HOST: "127.0.0.1",
  RATE_LIMIT_PER_MINUTE: "2",
});

let phone = 9_800_000_000;

/** A registration over a new connection from 127.0.0.1, with these headers; its status. */
function register(url: string, headers: Record<string, string | string[]>): Promise<number> {
  const body = JSON.stringify({
    first_name: "Ira",
    last_name: "Sen",
    age: 30,
    monthly_income: 50_000,
    phone_number: phone++,
  });
  return new Promise((resolve, reject) => {
    const sent = httpRequest(`${url}/register`, {
      method: "POST",
      agent: false,
      localAddress: "127.0.0.1",
    });
    sent.setHeader("Content-Type", "application/json");
    // An array is sent as that many header lines.
    for (const [name, value] of Object.entries(headers)) sent.setHeader(name, value);
    sent.on("response", (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    sent.on("error", reject);
    sent.end(body);
  });
}

/** The statuses of these registrations, sent one after another. */
async function statuses(url: string, headers: Record<string, string | string[]>[]) {
  const answers: number[] = [];
  for (const one of headers) answers.push(await register(url, one));
  return answers;
}

describe("the write limit on the Node server", () => {
  it("ignores the CF-Connecting-IP a client sends and counts its socket address", async () => {
    const answers = await statuses(
      served.server.url,
      [1, 2, 3].map((index) => ({ "CF-Connecting-IP": `198.51.100.${index}` })),
    );
    expect(answers).toEqual([201, 201, 429]);
  });
});

/** `npm run serve` with two HTTP workers and a write limit of 2 a minute, behind `trusted`. */
function limitedServer(name: string, trusted: string | null) {
  let server: ServeProcess | undefined;
  let directory: string | undefined;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), `client-address-${name}-`));
    server = await startServeProcess({
      WEB_CONCURRENCY: "2",
      DATABASE_URL: `file:${join(directory, "credit.db")}`,
      AS_OF_DATE: "2025-06-15",
      RATE_LIMIT_PER_MINUTE: "2",
      ...(trusted === null ? {} : { TRUSTED_PROXIES: trusted }),
    });
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });
  return () => {
    if (!server) throw new Error("the server starts in beforeAll");
    return server.url;
  };
}

describe("npm run serve behind a proxy, without TRUSTED_PROXIES", () => {
  const url = limitedServer("untrusted", null);

  it("counts every X-Forwarded-For client as the proxy's one address: one shared limit", async () => {
    const answers = await statuses(url(), [
      { "X-Forwarded-For": "203.0.113.1" },
      { "X-Forwarded-For": "203.0.113.1" },
      { "X-Forwarded-For": "203.0.113.2" },
    ]);
    expect(answers).toEqual([201, 201, 429]);
  });
});

describe("npm run serve behind a proxy at 127.0.0.1 with TRUSTED_PROXIES=loopback", () => {
  const url = limitedServer("trusted", "loopback");

  it("gives each X-Forwarded-For client a limit of its own, and never believes a forged left-most entry", async () => {
    const answers = await statuses(url(), [
      { "X-Forwarded-For": "203.0.113.1" },
      { "X-Forwarded-For": "203.0.113.1" },
      // The client's own 198.51.100.9, left of what the proxy appended: still 203.0.113.1.
      { "X-Forwarded-For": "198.51.100.9, 203.0.113.1" },
      // Two header lines are one list, in order: the right-most is 203.0.113.1's.
      { "X-Forwarded-For": ["198.51.100.10", "203.0.113.1"] },
      { "X-Forwarded-For": ["203.0.113.1", "203.0.113.3"] },
      { "X-Forwarded-For": "203.0.113.2" },
      { "X-Forwarded-For": "203.0.113.2" },
      { "X-Forwarded-For": "203.0.113.2" },
      // The same client spelled as IPv4-mapped IPv6.
      { "X-Forwarded-For": "::ffff:203.0.113.2" },
      // No header: the proxy's own request counts as the proxy's address.
      {},
      { "X-Forwarded-For": "garbage" },
      {},
    ]);
    expect(answers).toEqual([201, 201, 429, 429, 201, 201, 201, 429, 429, 201, 201, 429]);
  }, 60_000);

  it("counts a client whose proxy writes a port, or brackets, as that client", async () => {
    const answers = await statuses(url(), [
      { "X-Forwarded-For": "203.0.113.4:4711" },
      { "X-Forwarded-For": "203.0.113.4:4712" },
      { "X-Forwarded-For": "203.0.113.4" },
      { "X-Forwarded-For": "[2001:db8::4]:4711" },
      { "X-Forwarded-For": "[2001:db8::4]" },
      { "X-Forwarded-For": "2001:db8::4" },
    ]);
    expect(answers).toEqual([201, 201, 429, 201, 201, 429]);
  }, 60_000);

  it("counts an IPv6 client by its /64: another address of the same /64 buys no new allowance", async () => {
    const answers = await statuses(url(), [
      { "X-Forwarded-For": "2001:db8:5:1::1" },
      { "X-Forwarded-For": "2001:db8:5:1:a:b:c:d" },
      // The same /64 again, written in full, in capitals and with a port.
      { "X-Forwarded-For": "[2001:DB8:5:1:0:0:0:FFFF]:4711" },
      // The next /64 is another subscriber's.
      { "X-Forwarded-For": "2001:db8:5:2::1" },
    ]);
    expect(answers).toEqual([201, 201, 429, 201]);
  }, 60_000);
});
