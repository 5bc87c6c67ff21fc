import { connect } from "node:net";

/*
 * Raw HTTP/1.1 over a socket, for what fetch cannot send: pipelined requests, broken request
 * lines, headers past the parser's limits.
 */

/** Writes `raw` in one write on a new connection to `url` and reads until the server closes it. */
export function rawExchange(url: string, raw: string, timeoutMs = 20_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(raw));
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => {
      answer += data;
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no end: ${answer}`)));
  });
}

/** The status codes of the answers in what a connection received, in order. */
export const statusesIn = (answers: string) =>
  [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => match[1]);

/**
 * Sends `head` (a request with `Expect: 100-continue`), then `body` only if the server answers
 * `100 Continue`, as curl does; reads until the server closes the connection.
 */
export function continueExchange(
  url: string,
  head: string,
  body: string,
): Promise<{ answer: string; bodySent: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = "";
    let bodySent = false;
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(head));
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => {
      answer += data;
      if (!bodySent && answer.startsWith("HTTP/1.1 100 ")) {
        bodySent = true;
        socket.write(body);
      }
    });
    socket.on("close", () => resolve({ answer, bodySent }));
    socket.on("error", reject);
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no end: ${answer}`)));
  });
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
