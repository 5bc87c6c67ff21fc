/*
 * A raw TCP proxy in front of a server that, once armed, cuts the next answer to a request line
 * starting with a prefix: the headers and half the body reach the browser, then the socket closes.
 * page.route can only fail a request whole; this is the cut a dropped connection makes.
 */
import { connect, createServer, type Socket } from "node:net";

export interface CuttingProxy {
  url: string;
  /** Cuts the answer to the next request whose request line starts with `requestLine`. */
  cutNext(requestLine: string): void;
  close(): Promise<void>;
}

export async function startCuttingProxy(target: string): Promise<CuttingProxy> {
  const { hostname, port } = new URL(target);
  let armed: string | null = null;
  const sockets = new Set<Socket>();
  const server = createServer((browser) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(browser).add(upstream);
    let cutting = false;
    let answer = Buffer.alloc(0);
    browser.on("data", (chunk: Buffer) => {
      if (armed && chunk.toString("latin1").startsWith(armed)) {
        armed = null;
        cutting = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!cutting) return void browser.write(chunk);
      answer = Buffer.concat([answer, chunk]);
      const headersEnd = answer.indexOf("\r\n\r\n") + 4;
      if (headersEnd < 4 || answer.length <= headersEnd) return;
      const half = headersEnd + Math.ceil((answer.length - headersEnd) / 2);
      browser.end(answer.subarray(0, half), () => browser.destroy());
      upstream.destroy();
    });
    const close = () => {
      browser.destroy();
      upstream.destroy();
    };
    browser.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    cutNext(requestLine) {
      armed = requestLine;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
