import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRuntime } from "../../src/node/runtime";
import { type RunningServer, serveRuntime, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { statusesIn, untilClosedByServer } from "../node/raw-http";
import { until } from "../node/until";

/*
 * Clients that misbehave at the connection level, against the real server on the loopback: one
 * that pipelines many requests and reads none of the answers.
 */

let directory: string;
let server: RunningServer;
/** A second server whose answers wait 2 s (not 60) for a client that does not read them. */
let stalling: RunningServer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "slow-clients-"));
  server = await startServer(
    settingsFromEnv({
      PORT: "0",
      DATABASE_URL: `file:${join(directory, "credit.db")}`,
      AS_OF_DATE: "2025-06-15",
    }),
  );
  stalling = await serveRuntime(
    await openRuntime(settingsFromEnv({ DATABASE_URL: `file:${join(directory, "stalling.db")}` })),
    { host: "127.0.0.1", port: 0, stalledResponseMs: 2_000 },
  );
});
afterAll(async () => {
  await server?.close();
  await stalling?.close();
  await rm(directory, { recursive: true, force: true });
});

/** How many GET /openapi.json the app has answered, from a scrape on a connection of its own. */
async function openapiAnswered(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line =
    /^http_requests_total\{method="GET",route="\/openapi\.json",status_class="2xx"\} (\d+)$/m;
  return Number(line.exec(text)?.[1] ?? 0);
}

/** A connection to `to` that has written `raw` and reads nothing until told to. */
function unreadConnection(raw: string, to = server): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: Number(new URL(to.url).port) }, () => {
      socket.pause();
      socket.write(raw, () => resolve(socket));
    });
    socket.once("error", reject);
  });
}

/** Reads what is left on the connection until it closes (a reset too: what came before it). */
function readToEnd(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => undefined);
    socket.once("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.resume();
  });
}

describe("a client that pipelines requests and does not read the answers", () => {
  it("gets only as far ahead of it as the connection's buffers hold, then every answer in order", async () => {
    const pipelined = 1000;
    const before = await openapiAnswered();
    const socket = await unreadConnection(
      `${"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(pipelined)}` +
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    // The server answers until the kernel's buffers (a few MB on the loopback) are full, then
    // waits. Before, it answered all 1,000 at once and kept the 75 MB of answers in memory.
    let last = -1;
    const settled = await until(
      async () => (await openapiAnswered()) - before,
      (answered) => {
        // Not yet begun is not steady: a loaded machine can take a second to the first answer.
        const steady = answered > 0 && answered === last;
        last = answered;
        return steady;
      },
      30_000,
      1_000,
    );
    expect(settled).toBeGreaterThan(0);
    expect(settled).toBeLessThan(pipelined / 2);

    const answers = await readToEnd(socket);
    expect(statusesIn(answers)).toEqual(Array(pipelined + 1).fill("200"));
    expect(answers.endsWith('{"status":"ok"}')).toBe(true);
  }, 90_000);

  it("has its connection closed once its answers have waited unread too long", async () => {
    const pipelined = 300;
    const socket = await unreadConnection(
      "GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(pipelined),
      stalling,
    );
    // The kernel's buffers fill within a second or so, then nothing moves for the 2 s. A fixed
    // 12 s wait was a guess at a loaded machine's pace; a server that never closes fails here.
    await untilClosedByServer(Number(new URL(stalling.url).port), socket.localPort ?? 0);
    const answered = statusesIn(await readToEnd(socket)).length;
    // Before, the connection stayed open and every one of the 300 answers (22 MB) waited for it.
    expect(answered).toBeLessThan(pipelined);
  }, 60_000);
});
