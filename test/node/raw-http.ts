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
