/*
 * An API gateway on 127.0.0.1 in front of a server, as a deployed Worker may sit behind one: it
 * serves the server under a base path and lets a request through only with its key in the query
 * string (`https://gateway/credit/ingest/…?key=…`), which it takes off before forwarding. Anything
 * else is refused 403, as such a gateway does. It keeps every request's path and query as it
 * arrived, so a test can see what the script asked for.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Headers that belong to one connection and must not be forwarded. */
const HOP_BY_HOP = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
]);

export interface KeyGateway {
  /** The gateway's base, without its key: `http://127.0.0.1:PORT/<base path>`. */
  url: string;
  /** Each request as it arrived: method, then path and query. */
  seen: () => string[];
  close: () => Promise<void>;
}

export async function startKeyGateway(
  target: () => string,
  basePath: string,
  key: string,
): Promise<KeyGateway> {
  const seen: string[] = [];
  const server: Server = createServer(async (request, response) => {
    seen.push(`${request.method} ${request.url}`);
    const url = new URL(request.url ?? "/", "http://gateway");
    if (url.searchParams.get("key") !== key || !url.pathname.startsWith(`${basePath}/`)) {
      response.writeHead(403, { "content-type": "text/plain" });
      response.end("Forbidden: no valid key for this path");
      return;
    }
    url.searchParams.delete("key");
    const forwardTo = new URL(url.pathname.slice(basePath.length) + url.search, target());
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const forwarded = await fetch(forwardTo, {
      method: request.method,
      headers: Object.entries(request.headers).flatMap(([name, value]) =>
        typeof value === "string" && !HOP_BY_HOP.has(name)
          ? [[name, value] as [string, string]]
          : [],
      ),
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const headers = [...forwarded.headers].filter(
      ([name]) => !HOP_BY_HOP.has(name) && name !== "content-encoding",
    );
    response.writeHead(forwarded.status, Object.fromEntries(headers));
    response.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    seen: () => [...seen],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
