import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { type RunningServer, serveRuntime } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";

/*
 * A reverse proxy or load balancer keeps its connections to the server open between requests
 * (AWS's ALB and nginx's upstream keepalive 60 s idle) and sends the next request on one of them.
 * Node closes an idle connection after 5 s by default, so a request the proxy sent just as the
 * server closed its connection was lost and the proxy answered 502. The server now keeps an idle
 * connection 65 s, past those 60 s, and says so in `Keep-Alive: timeout=65`.
 */

let directory: string;
let runtime: Runtime;
let server: RunningServer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "keep-alive-"));
  runtime = await openRuntime(
    settingsFromEnv({ DATABASE_URL: `file:${join(directory, "credit.db")}` }),
  );
  server = await serveRuntime(runtime, { host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

/** Sends one keep-alive request on `socket` and resolves with the answer's head. */
async function headOfAnswer(socket: Socket): Promise<string> {
  const url = new URL(server.url);
  socket.write(`GET /healthz HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n\r\n`);
  let received = "";
  while (!received.includes("\r\n\r\n") || !received.includes("}")) {
    const [chunk] = (await once(socket, "data")) as [Buffer];
    received += chunk.toString("latin1");
  }
  return received.slice(0, received.indexOf("\r\n\r\n"));
}

describe("an idle kept-alive connection", () => {
  it("outlives Node's 5 s default, as a proxy's pooled connection needs, and says for how long", async () => {
    const url = new URL(server.url);
    const socket = connect(Number(url.port), url.hostname);
    await once(socket, "connect");
    let closedAfterMs: number | null = null;
    const opened = Date.now();
    socket.on("close", () => {
      closedAfterMs = Date.now() - opened;
    });
    try {
      const first = await headOfAnswer(socket);
      expect(first).toMatch(/^HTTP\/1\.1 200/);
      expect(first.toLowerCase()).toContain("keep-alive: timeout=65");
      // Past Node's default keepAliveTimeout (5 s), as a proxy's pooled connection would idle.
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      expect(closedAfterMs).toBeNull();
      expect(await headOfAnswer(socket)).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      socket.destroy();
    }
  }, 20_000);
});

describe("KEEP_ALIVE_TIMEOUT_SECONDS", () => {
  it("is 65 unless set, and a whole number of seconds from 1 to 3600", () => {
    expect(settingsFromEnv({}).keepAliveTimeoutSeconds).toBe(65);
    expect(settingsFromEnv({ KEEP_ALIVE_TIMEOUT_SECONDS: "620" }).keepAliveTimeoutSeconds).toBe(
      620,
    );
    for (const bad of ["0", "3601", "1.5", "sixty", "-1"]) {
      expect(() => settingsFromEnv({ KEEP_ALIVE_TIMEOUT_SECONDS: bad })).toThrow(
        /KEEP_ALIVE_TIMEOUT_SECONDS/,
      );
    }
  });
});
