import { describe, expect, it } from "vitest";
import { abandonedExchange, rawExchange, statusesIn } from "../node/raw-http";
import { serverPerFile } from "../node/server-per-file";
import { until } from "../node/until";

/*
 * A chunked body that fails as the app reads it (src/lib/body-limit.ts), on the real server: the
 * client closes mid-body, or Node's parser refuses a broken chunk or trailer. The client's doing,
 * so no 5xx in the metrics (and no "unhandled error" logged), and nothing is written.
 */

const TOKEN = "body-limit-ingest-token";
const served = serverPerFile("body-limit-", { INGEST_TOKEN: TOKEN });

const json = JSON.stringify({
  first_name: "Broken",
  last_name: "Chunks",
  age: 30,
  monthly_income: 50_000,
  phone_number: 5_900_000_300,
});
const size = json.length.toString(16);
const head = (path: string) =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;

/** What the server counted of POST `route`, by status class. */
async function counted(route: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${served.server.url}/metrics`)).text();
  const classes: Record<string, number> = {};
  for (const [, labels = "", value] of text.matchAll(/^http_requests_total\{(.*)\} (\S+)$/gm)) {
    if (!labels.includes('method="POST"') || !labels.includes(`route="${route}"`)) continue;
    const statusClass = /status_class="(\w+)"/.exec(labels)?.[1] ?? "";
    classes[statusClass] = (classes[statusClass] ?? 0) + Number(value);
  }
  return classes;
}
const total = (classes: Record<string, number>) =>
  Object.values(classes).reduce((sum, value) => sum + value, 0);

describe("a chunked body that fails as it is read", () => {
  it.each([
    ["/register", "/register"],
    ["/ingest/batches", "/ingest/batches"],
  ])("is the client's doing on %s, never a 5xx", async (path, route) => {
    const broken = [
      `${head(path)}5\r\n${json}\r\n0\r\n\r\n`, // more data than the chunk's size
      `${head(path)}${size}\r\n${json}\r\n0\r\nnot a field\r\n\r\n`, // a broken trailer
      `${head(path)}${"f".repeat(17)}\r\n${json}\r\n`, // a chunk size of 2^68 - 1, past 64 bits
    ];
    for (const raw of broken)
      expect(statusesIn(await rawExchange(served.server.url, raw))).toEqual(["400"]);
    // Cut short: the client closes with half a chunk sent.
    await abandonedExchange(served.server.url, `${head(path)}${size}\r\n${json.slice(0, 20)}`, 100);

    const classes = await until(
      () => counted(route),
      (seen) => total(seen) >= broken.length + 1,
      20_000,
    );
    expect(classes["5xx"] ?? 0).toBe(0);
    expect(total(classes)).toBe(broken.length + 1);
  });

  it("has written nothing: the same customer registers afterwards", async () => {
    const response = await fetch(`${served.server.url}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: json,
    });
    expect(response.status).toBe(201);
  });
});
