import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../scripts/lib/local-worker";

/*
 * What the real Worker (wrangler dev, workerd) does at the HTTP layer where the Node server
 * answers otherwise, as docs/api.md (Compressed responses) says: it compresses a response the
 * client accepts compressed, and it answers a request whose `Expect` the Node server refuses (417).
 */

let worker: LocalWorker;
beforeAll(async () => {
  worker = await startLocalWorker();
});
afterAll(async () => {
  await worker?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with exactly these headers: fetch() would add its own Accept-Encoding. */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${worker.url}${path}`, { method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () =>
        resolve({
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          body: Buffer.concat(chunks),
        }),
      );
      incoming.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

describe("the Worker's HTTP layer", () => {
  it("compresses a response with gzip or br when the request accepts it, sent without Content-Length", async () => {
    const gzip = await send("GET", "/openapi.json", { "Accept-Encoding": "gzip" });
    expect(gzip.status).toBe(200);
    expect(gzip.headers["content-encoding"]).toBe("gzip");
    expect(gzip.headers["content-length"]).toBeUndefined();
    const br = await send("GET", "/openapi.json", { "Accept-Encoding": "br, gzip" });
    expect(br.headers["content-encoding"]).toBe("br");
  });

  it("sends the response uncompressed, with Content-Length, when the request does not accept a coding", async () => {
    const noCoding: Record<string, string>[] = [{}, { "Accept-Encoding": "identity" }];
    for (const headers of noCoding) {
      const plain = await send("GET", "/openapi.json", headers);
      expect(plain.status).toBe(200);
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(Number(plain.headers["content-length"])).toBe(plain.body.length);
      expect(JSON.parse(plain.body.toString())).toMatchObject({ openapi: "3.1.0" });
    }
  });

  it("answers a request whose Expect is not 100-continue, which the Node server refuses with 417", async () => {
    const body = JSON.stringify({
      customer_id: 1,
      loan_amount: 1000,
      interest_rate: 10,
      tenure: 12,
    });
    const answer = await send(
      "POST",
      "/check-eligibility",
      { "Content-Type": "application/json", Expect: "something-else" },
      body,
    );
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ type: "/problems/not-found" });
  });
});
