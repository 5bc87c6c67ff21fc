import { deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { rawExchange } from "../node/raw-http";
import { serverPerFile } from "../node/server-per-file";

/*
 * What the Node server's HTTP edge answers itself (src/node/client-errors.ts), over raw sockets:
 * each answer is problem+json with the usual headers, and a new connection is served after it.
 */

const served = serverPerFile("client-errors-");

interface EdgeAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: { type: string; status: number; request_id: string; errors: { field: string }[] };
}

/** Sends `raw` on a new connection and reads its one answer, until the server closes it. */
async function exchange(raw: string): Promise<EdgeAnswer> {
  const answer = await rawExchange(served.server.url, raw);
  const [head = "", body = ""] = answer.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(" ")[1]), headers, body: JSON.parse(body) };
}

/** Asserts the edge's problem answer, and that the next connection is served. */
async function expectEdgeProblem(answer: EdgeAnswer, status: number, field?: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.headers["x-content-type-options"]).toBe("nosniff");
  expect(answer.body.status).toBe(status);
  if (field !== undefined) expect(answer.body.errors.map((e) => e.field)).toContain(field);
  expect((await fetch(`${served.server.url}/healthz`)).status).toBe(200);
}

describe("the Node server's HTTP edge", () => {
  const expectation = (requestId: string) =>
    `POST /register HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${requestId}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: teapot\r\n\r\n{}`;

  it("echoes the caller's safe X-Request-Id in its 417, as the app does", async () => {
    const answer = await exchange(expectation("batch-7_row=12"));
    await expectEdgeProblem(answer, 417, "Expect");
    expect(answer.headers["x-request-id"]).toBe("batch-7_row=12");
    expect(answer.body.request_id).toBe("batch-7_row=12");
  });

  it("replaces an unsafe X-Request-Id in its 417 with a new one, as the app does", async () => {
    const answer = await exchange(expectation("a<b>"));
    await expectEdgeProblem(answer, 417, "Expect");
    expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.body.request_id).toBe(answer.headers["x-request-id"]);
  });

  it("echoes the caller's X-Request-Id when it refuses CONNECT", async () => {
    const answer = await exchange(
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nX-Request-Id: tunnel-1\r\n\r\n",
    );
    await expectEdgeProblem(answer, 400, "method");
    expect(answer.body.request_id).toBe("tunnel-1");
  });

  /** A POST /register whose chunked body is `body`, sent with `Transfer-Encoding: <codings>`. */
  const chunkedRegister = (codings: string, body: Buffer) =>
    Buffer.concat([
      Buffer.from(
        `POST /register HTTP/1.1\r\nHost: x\r\nX-Request-Id: coded-1\r\nContent-Type: application/json\r\nTransfer-Encoding: ${codings}\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n`,
      ),
      body,
      Buffer.from("\r\n0\r\n\r\n"),
    ]).toString("latin1");
  const customer = (phone_number: number) =>
    Buffer.from(
      JSON.stringify({
        first_name: "Transfer",
        last_name: "Coding",
        age: 30,
        monthly_income: 50_000,
        phone_number,
      }),
    );

  it.each([
    ["gzip, chunked", 5_900_000_001, gzipSync],
    ["deflate, chunked", 5_900_000_002, deflateSync],
    // Not compressed at all: it used to be registered under the false label.
    ["gzip, chunked", 5_900_000_003, (body: Buffer) => body],
    ["identity, chunked", 5_900_000_004, (body: Buffer) => body],
  ])(
    "answers 400 naming Transfer-Encoding for %s, and registers nothing",
    async (codings, phone, encode) => {
      const answer = await exchange(chunkedRegister(codings, encode(customer(phone))));
      await expectEdgeProblem(answer, 400, "Transfer-Encoding");
      expect(answer.body.type).toBe("/problems/unsupported-transfer-encoding");
      expect(answer.body.request_id).toBe("coded-1");
      // The same customer, chunked alone, is new.
      expect((await exchange(chunkedRegister("chunked", customer(phone)))).status).toBe(201);
    },
  );

  it("answers 400 for a coding named in a Transfer-Encoding line of its own", async () => {
    const raw = chunkedRegister("chunked", customer(5_900_000_010)).replace(
      "Transfer-Encoding: chunked",
      "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
    );
    await expectEdgeProblem(await exchange(raw), 400, "Transfer-Encoding");
  });

  it.each([
    ["a coding after chunked", "chunked, gzip"],
    ["no chunked at all", "gzip"],
    ["chunked twice", "chunked, chunked"],
  ])("answers 400 naming Transfer-Encoding for %s (RFC 9112 §6.3)", async (_, codings) => {
    const answer = await exchange(chunkedRegister(codings, customer(5_900_000_020)));
    await expectEdgeProblem(answer, 400, "Transfer-Encoding");
  });

  /** A POST /register of a new customer's JSON, `framing` its headers and body (`%s`: the JSON). */
  const framed = (phone_number: number, framing: (json: string) => string) => {
    const json = customer(phone_number).toString();
    return `POST /register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n${framing(json)}`;
  };
  const chunk = (json: string) => `${json.length.toString(16)}\r\n${json}\r\n`;

  it.each([
    [
      "two Content-Lengths",
      (json: string) =>
        `Content-Length: ${json.length}\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
      "Content-Length",
    ],
    [
      "Content-Length with Transfer-Encoding",
      (json: string) =>
        `Content-Length: ${json.length}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(json)}0\r\n\r\n`,
      "Transfer-Encoding",
    ],
    [
      // The parser's code is then Content-Length's, which named it "must be a number of bytes".
      "Transfer-Encoding with Content-Length after it",
      (json: string) =>
        `Transfer-Encoding: chunked\r\nContent-Length: ${json.length}\r\n\r\n${chunk(json)}0\r\n\r\n`,
      "Transfer-Encoding",
    ],
    [
      "a negative Content-Length",
      (json: string) => `Content-Length: -1\r\n\r\n${json}`,
      "Content-Length",
    ],
    [
      "a folded header line",
      (json: string) => `X-Note: a\r\n  b\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
      "headers",
    ],
    [
      "a chunk size over 16 hex digits",
      (json: string) =>
        `Transfer-Encoding: chunked\r\n\r\n${"f".repeat(17)}\r\n${json}\r\n0\r\n\r\n`,
      "body",
    ],
    [
      "a final chunk with a broken trailer",
      (json: string) => `Transfer-Encoding: chunked\r\n\r\n${chunk(json)}0\r\nnot a field\r\n\r\n`,
      "headers",
    ],
  ])("answers %s with 400 naming it, and registers nothing", async (_, framing, field) => {
    const answer = await exchange(framed(5_900_000_100, framing));
    await expectEdgeProblem(answer, 400, field);
    expect(answer.body.type).toBe("/problems/bad-request");
    expect(answer.headers.connection).toBe("close");
  });

  it("answers a chunked body whose data overruns its size with 400, and registers nothing", async () => {
    const answer = await exchange(
      framed(
        5_900_000_100,
        (json) => `Transfer-Encoding: chunked\r\n\r\n5\r\n${json}\r\n0\r\n\r\n`,
      ),
    );
    await expectEdgeProblem(answer, 400);
  });

  it.each([
    [
      "chunk extensions",
      5_900_000_201,
      (json: string) =>
        `Transfer-Encoding: chunked\r\n\r\n${json.length.toString(16)};a=1;b="c d"\r\n${json}\r\n0;e\r\n\r\n`,
    ],
    [
      "a trailer",
      5_900_000_202,
      (json: string) =>
        `Transfer-Encoding: chunked\r\n\r\n${chunk(json)}0\r\nX-Checksum: 1\r\n\r\n`,
    ],
    [
      "a chunk size with leading zeros",
      5_900_000_203,
      (json: string) =>
        `Transfer-Encoding: chunked\r\n\r\n${"0".repeat(20)}${chunk(json)}0\r\n\r\n`,
    ],
  ])("reads a chunked body with %s", async (_, phone, framing) => {
    // A phone a case: the server's database lives for the whole file, so two cases sharing one
    // would see 409 (random phones collided about once in 300 runs).
    const answer = await exchange(framed(phone, framing));
    expect(answer.status).toBe(201);
  });

  it("registers the customer the refused requests carried, so none of them was a write", async () => {
    const answer = await exchange(
      framed(5_900_000_100, (json) => `Content-Length: ${json.length}\r\n\r\n${json}`),
    );
    expect(answer.status).toBe(201);
  });
});
