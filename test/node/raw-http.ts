import { connect, type Socket } from "node:net";

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
