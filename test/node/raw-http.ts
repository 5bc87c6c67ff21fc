import { readFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { until } from "./until";

/*
 * Raw HTTP/1.1 over a socket, for what fetch cannot send: pipelined requests, broken request
 * lines, headers past the parser's limits, a body sent only after `100 Continue`.
 */

/** Writes `raw` in one write on a new connection to `url` and reads until the server closes it. */
export function rawExchange(url: string, raw: string, timeoutMs = 20_000): Promise<string> {
  return converse(url, raw, () => {}, timeoutMs);
}

/** The status codes of the answers in what a connection received, in order. */
export const statusesIn = (answers: string) =>
  [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => match[1]);

/**
 * Sends `head` (a request with `Expect: 100-continue`), then `body` only if the server answers
 * `100 Continue`, as curl does; reads until the server closes the connection.
 */
export async function continueExchange(
  url: string,
  head: string,
  body: string,
): Promise<{ answer: string; bodySent: boolean }> {
  let bodySent = false;
  const answer = await converse(url, head, (answered, socket) => {
    if (!bodySent && answered.startsWith("HTTP/1.1 100 ")) {
      bodySent = true;
      socket.write(body);
    }
  });
  return { answer, bodySent };
}

/** Writes `raw` on a new connection, shows `heard` all that came so far, and reads until the close. */
function converse(
  url: string,
  raw: string,
  heard: (answer: string, socket: Socket) => void,
  timeoutMs = 20_000,
): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(raw));
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => {
      answer += data;
      heard(answer, socket);
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no end: ${answer}`)));
  });
}

/** A POST of `body` as JSON, whole, as a kept-alive client writes it, with `headers` besides. */
export function rawJsonPost(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): string {
  const json = JSON.stringify(body);
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${extra.join("")}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
}

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/**
 * One kept-alive connection written raw, its answers read one at a time (each with a
 * Content-Length); `closed` resolves when the server ends it, with whatever it sent unread.
 */
export class KeptConnection {
  #received = "";
  #waiting: (() => void) | null = null;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => {
      this.#received += data;
      this.#waiting?.();
    });
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    void this.closed.then(() => this.#waiting?.());
  }

  static open(url: string): Promise<KeptConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () =>
        resolve(new KeptConnection(socket)),
      );
      socket.once("error", reject);
    });
  }

  write(raw: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(raw, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** A GET on this connection, and its answer. */
  async get(path: string): Promise<RawAnswer> {
    await this.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    return this.answer();
  }

  /** The next whole answer; rejects when the connection closes before one has come. */
  async answer(timeoutMs = 20_000): Promise<RawAnswer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = this.#take();
      if (answer) return answer;
      if (this.socket.destroyed || Date.now() > deadline) {
        throw new Error(`no whole answer before the connection ended: ${this.#received}`);
      }
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  #take(): RawAnswer | null {
    const end = this.#received.indexOf("\r\n\r\n");
    if (end === -1) return null;
    const [statusLine = "", ...lines] = this.#received.slice(0, end).split("\r\n");
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers["content-length"] ?? 0);
    if (this.#received.length < end + 4 + length) return null;
    const body = this.#received.slice(end + 4, end + 4 + length);
    this.#received = this.#received.slice(end + 4 + length);
    return { status: Number(statusLine.split(" ")[1]), headers, body };
  }
}

/** The server's end of a loopback connection in /proc/net/tcp (Linux), split; undefined once gone. */
async function serverEnd(serverPort: number, clientPort: number): Promise<string[] | undefined> {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  const local = `:${hex(serverPort)}`;
  const remote = `:${hex(clientPort)}`;
  const table = await readFile("/proc/net/tcp", "utf8");
  return table
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find(
      ([, localAddress, remoteAddress]) =>
        localAddress?.endsWith(local) && remoteAddress?.endsWith(remote),
    );
}

/**
 * Resolves once the server's end of a loopback connection has nothing left to read (Linux:
 * /proc/net/tcp): the worker has read, and so parsed, what the client sent.
 */
export async function untilRead(serverPort: number, clientPort: number): Promise<void> {
  await until(
    async () => (await serverEnd(serverPort, clientPort))?.[4]?.split(":")[1] ?? null,
    (receiveQueue) => receiveQueue === "00000000",
    20_000,
  );
}

/**
 * Resolves once the server has closed its end of a loopback connection (Linux: /proc/net/tcp, no
 * longer ESTABLISHED, or gone after a reset), which a client that reads nothing cannot see.
 */
export async function untilClosedByServer(serverPort: number, clientPort: number): Promise<void> {
  const ESTABLISHED = "01";
  await until(
    async () => (await serverEnd(serverPort, clientPort))?.[3] ?? "gone",
    (state) => state !== ESTABLISHED,
    30_000,
  );
}

/** Writes `raw` on a new connection to `url`, then closes it after `afterMs` without reading. */
export function abandonedExchange(url: string, raw: string, afterMs: number): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(raw);
      setTimeout(() => socket.destroy(), afterMs);
    });
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });
}
