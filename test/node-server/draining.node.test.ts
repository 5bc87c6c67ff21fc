import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type Drainable, drainable } from "../../src/node/draining";
import { KeptConnection, untilRead } from "../node/raw-http";

/*
 * The drain of src/node/draining.ts on a real HTTP server, without the app: what is in flight when
 * it starts ends its connection after its answer, and what begins after it is refused with a 503.
 * The app's 503 itself: stopping-answer.node.test.ts; the cluster's SIGTERM in a burst of writes:
 * cluster-shutdown.node.test.ts.
 */

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/**
 * `/held` answers "done" once `release` is called; `/streamed` sends its headers and half its
 * body at once, the rest on `release`.
 */
async function serve(): Promise<{ url: string; drain: Drainable["drain"]; release: () => void }> {
  const held: (() => void)[] = [];
  const { listener, drain } = drainable(
    (request, response) => {
      if (request.url === "/streamed") {
        response.writeHead(200, { "Content-Length": "4" });
        response.write("ab");
        held.push(() => response.end("cd"));
      } else {
        held.push(() => response.end("done"));
      }
    },
    (_request, response) => {
      response.writeHead(503, { "Content-Type": "text/plain", "Content-Length": "7" });
      response.end("refused");
    },
  );
  server = createServer(listener);
  // Longer than the tests' own timeout: a connection left open is a failure, not a slow pass.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const release = () => {
    for (const answer of held.splice(0)) answer();
  };
  return { url: `http://127.0.0.1:${port}`, drain, release };
}

async function startedRequest(url: string, path: string): Promise<KeptConnection> {
  const connection = await KeptConnection.open(url);
  await connection.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  // Node parses what it reads at once: the listener has the request.
  await untilRead(Number(new URL(url).port), connection.socket.localPort ?? 0);
  return connection;
}

describe("drainable (src/node/draining.ts)", () => {
  // An answer not begun at the drain says Connection: close; one whose headers had gone out
  // already said keep-alive. Either way the connection ends after it.
  it.each([
    { path: "/held", body: "done", says: "close" },
    { path: "/streamed", body: "abcd", says: "keep-alive" },
  ])(
    "ends the connection after the answer to $path, in flight at the drain",
    async ({ path, body, says }) => {
      const { url, drain, release } = await serve();
      const connection = await startedRequest(url, path);
      drain();
      release();
      const answer = await connection.answer();
      expect(answer).toMatchObject({ status: 200, body });
      expect(answer.headers.connection).toBe(says);
      await connection.closed;
    },
    10_000,
  );

  it("refuses a request that begins after the drain, without running it", async () => {
    const { url, drain, release } = await serve();
    const connection = await KeptConnection.open(url);
    drain();
    const answer = await connection.get("/held");
    release();
    expect(answer).toMatchObject({ status: 503, body: "refused" });
    expect(answer.headers.connection).toBe("close");
    await connection.closed;
  });
});
