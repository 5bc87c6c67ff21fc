import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { until } from "../node/until";

/*
 * Clients that misbehave at the connection level, against the real server on the loopback: one
 * that pipelines many requests and reads none of the answers.
 */

const PORT = 19_110;
let directory: string;
let server: RunningServer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "slow-clients-"));
  server = await startServer(
    settingsFromEnv({
      PORT: String(PORT),
      DATABASE_URL: `file:${join(directory, "credit.db")}`,
      AS_OF_DATE: "2025-06-15",
    }),
  );
});
afterAll(async () => {
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

/** How many GET /openapi.json the app has answered, from a scrape on a connection of its own. */
async function openapiAnswered(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line =
    /^http_requests_total\{method="GET",route="\/openapi\.json",status_class="2xx"\} (\d+)$/m;
  return Number(line.exec(text)?.[1] ?? 0);
}

/** A connection that has written `raw` and reads nothing until told to. */
function unreadConnection(raw: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: PORT }, () => {
      socket.pause();
      socket.write(raw, () => resolve(socket));
    });
    socket.once("error", reject);
  });
}

/** Reads what is left on the connection until the server ends it. */
function readToEnd(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.once("error", reject);
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
        const steady = answered === last;
        last = answered;
        return steady;
      },
      30_000,
      1_000,
    );
    expect(settled).toBeGreaterThan(0);
    expect(settled).toBeLessThan(pipelined / 2);

    const answers = await readToEnd(socket);
    const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => match[1]);
    expect(statuses).toEqual(Array(pipelined + 1).fill("200"));
    expect(answers.endsWith('{"status":"ok"}')).toBe(true);
  }, 90_000);
});
