import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../scripts/lib/local-worker";

/*
 * A raw HTTP request to the real Worker (wrangler dev, workerd) whose header values end in
 * whitespace: fetch() trims values before sending, so only a socket can send one. Node's parser
 * drops that whitespace (RFC 9110 §5.5); the Worker must answer as the Node server does.
 */

let worker: LocalWorker;
beforeAll(async () => {
  worker = await startLocalWorker();
});
afterAll(async () => {
  await worker?.stop();
});

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/**
 * One request written byte for byte, so a header value keeps the whitespace it was sent with.
 * Resolves once the answer's `Content-Length` has arrived, as a client that reads the answer and
 * moves on does, then closes the socket.
 */
function raw(
  method: string,
  path: string,
  headers: string[],
  body = "",
  contentType = "application/json",
): Promise<RawResponse> {
  const { port } = new URL(worker.url);
  const lines = [
    `${method} ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Connection: close",
    ...(body ? [`Content-Type: ${contentType}`, `Content-Length: ${Buffer.byteLength(body)}`] : []),
    ...headers,
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () => {
      socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
    });
    let received = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const response = parseResponse(received);
      if (response) {
        socket.destroy();
        resolve(response);
      }
    });
    socket.on("error", reject);
    socket.on("end", () => reject(new Error(`connection closed mid-answer: ${received}`)));
  });
}

/** The answer, once its headers and `Content-Length` bytes of body have arrived; else null. */
function parseResponse(received: Buffer): RawResponse | null {
  const end = received.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const [statusLine = "", ...fields] = received.subarray(0, end).toString("latin1").split("\r\n");
  const headers = new Map(
    fields.map((field): [string, string] => {
      const colon = field.indexOf(":");
      return [field.slice(0, colon).toLowerCase(), field.slice(colon + 1).trim()];
    }),
  );
  const body = received.subarray(end + 4);
  if (body.length < Number(headers.get("content-length") ?? 0)) return null;
  return { status: Number(statusLine.split(" ")[1]), headers, body: body.toString("utf8") };
}

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${worker.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe("header values ending in whitespace, on the Worker", () => {
  it("are trimmed: an Idempotency-Key and a bookmark work as they do on the Node server", async () => {
    const customer = await post("/register", {
      first_name: "Trailing",
      last_name: "Space",
      age: 30,
      monthly_income: 100000,
      phone_number: 9123456780,
    });
    const loan = await post("/create-loan", {
      customer_id: customer.customer_id,
      loan_amount: 10000,
      interest_rate: 20,
      tenure: 12,
    });
    const path = `/make-payment/${customer.customer_id}/${loan.loan_id}`;
    const body = JSON.stringify({ amount: loan.monthly_installment });

    const first = await raw("POST", path, ["Idempotency-Key: pay-once \t"], body);
    expect(first.status, first.body).toBe(201);
    // The same key without the whitespace is the same key: a replay, not a second payment.
    const again = await raw("POST", path, ["Idempotency-Key: pay-once"], body);
    expect(again.status, again.body).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(JSON.parse(again.body).payment_id).toBe(JSON.parse(first.body).payment_id);

    const bookmark = first.headers.get("x-d1-bookmark");
    expect(bookmark).toMatch(/^[0-9a-f]{8}-/);
    const statement = await raw("GET", `/view-statement/${customer.customer_id}/${loan.loan_id}`, [
      `x-d1-bookmark: ${bookmark} `,
    ]);
    expect(statement.status, statement.body).toBe(200);
    expect(JSON.parse(statement.body).payments).toHaveLength(1);
  });

  it("leave a JSON body's Content-Type in any of its forms read as JSON", async () => {
    const customer = await post("/register", {
      first_name: "Trailing",
      last_name: "Type",
      age: 30,
      monthly_income: 100000,
      phone_number: 9123456781,
    });
    const body = JSON.stringify({
      customer_id: customer.customer_id,
      loan_amount: 10000,
      interest_rate: 20,
      tenure: 12,
    });
    // Both shadow the request's headers (src/worker/request-headers.ts, src/lib/json-media-type.ts):
    // the second used to throw "Cannot redefine property", a 500.
    for (const contentType of [
      "application/json; charset=utf-8",
      "application/json; charset=utf-8 ",
    ]) {
      const answer = await raw(
        "POST",
        "/check-eligibility",
        ["X-Request-Id: ct-trimmed "],
        body,
        contentType,
      );
      expect(answer.status, `${contentType}: ${answer.body}`).toBe(200);
      expect(answer.headers.get("x-request-id")).toBe("ct-trimmed");
    }
  });

  it("leave the server answering the next request when the app answers without reading the body", async () => {
    // A refusal given before the body is read: over the size limit, and no such route.
    const refusals = [
      { path: "/register", body: JSON.stringify({ padding: "x".repeat(70 * 1024) }), status: 413 },
      { path: "/no-such-route", body: JSON.stringify({ padding: "x" }), status: 404 },
    ];
    for (const [index, { path, body, status }] of refusals.entries()) {
      const refused = await raw("POST", path, ["X-Padding: trimmed "], body);
      expect(refused.status, refused.body).toBe(status);
      // Another client's write, next: it used to be a 503 from wrangler dev ("Your worker restarted
      // mid-request"), not done, because the trimmed copy of the request had taken its body.
      const next = await fetch(`${worker.url}/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          first_name: "Next",
          last_name: "Client",
          age: 30,
          monthly_income: 100000,
          phone_number: 9123456790 + index,
        }),
      });
      expect(next.status, await next.clone().text()).toBe(201);
    }
  });
});
