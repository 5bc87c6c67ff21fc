import { describe, expect, it } from "vitest";
import { continueExchange, KeptConnection, type RawAnswer, statusesIn } from "../node/raw-http";
import { serverPerFile } from "../node/server-per-file";

/*
 * The 503 of a stopping server (src/node/draining.ts) over real HTTP, next to any other answer:
 * a browser on an allowed origin must be able to read it (CORS, Retry-After), and a client's own
 * request id comes back, as on every answer of the app.
 */

const ORIGIN = "https://lender.example";

const served = serverPerFile("stopping-answer-", {
  CORS_ORIGINS: ORIGIN,
});

/** A browser's GET of `path` from ORIGIN, with the caller's own request id. */
function browserGet(connection: KeptConnection, path: string, requestId: string) {
  return connection.write(
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nOrigin: ${ORIGIN}\r\nX-Request-Id: ${requestId}\r\n\r\n`,
  );
}

/** The names of an answer's headers, but those that say how long the connection lives. */
const headerNames = ({ headers }: RawAnswer) =>
  Object.keys(headers)
    .filter((name) => name !== "keep-alive" && name !== "retry-after")
    .sort();

describe("the answer to a request that begins while the server stops", () => {
  it("carries the headers of every other answer: CORS, the caller's request id", async () => {
    const connection = await KeptConnection.open(served.server.url);
    await browserGet(connection, "/api/nope", "before-the-stop");
    const before = await connection.answer();
    expect(before.status).toBe(404);

    const stopping = served.server.close();
    await browserGet(connection, "/api/nope", "after-the-stop");
    const after = await connection.answer();
    // A new connection within the linger, whose body the app would read: not asked for.
    const upload = await continueExchange(
      served.server.url,
      "POST /register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n",
      "{}",
    );
    await stopping;

    expect(statusesIn(upload.answer)).toEqual(["503"]);
    expect(upload.bodySent).toBe(false);

    expect(after.status).toBe(503);
    expect(JSON.parse(after.body)).toMatchObject({
      type: "/problems/service-unavailable",
      request_id: "after-the-stop",
    });
    expect(after.headers).toMatchObject({
      "access-control-allow-origin": ORIGIN,
      "x-request-id": "after-the-stop",
      "retry-after": "1",
      connection: "close",
    });
    expect(headerNames(after)).toEqual(headerNames(before));
  }, 20_000);
});
