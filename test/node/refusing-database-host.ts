/*
 * A remote libSQL database host on 127.0.0.1 that refuses every request with one HTTP status, as
 * Turso and sqld answer a wrong or expired token (401), a database that does not exist (404) or an
 * outage (5xx): a JSON body `{"error": "…"}`, which `@libsql/client` does not read (it keeps the
 * status). It keeps each request's method, path and whether it carried a bearer token, so a test can
 * see that the client asked (`POST /v2/pipeline`) and sent the token it must not print.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface RefusingDatabaseHost {
  /** `http://127.0.0.1:PORT`, for DATABASE_URL. */
  url: string;
  /** `127.0.0.1:PORT`, as the start's line names it. */
  host: string;
  /** Each request as it arrived: `POST /v2/pipeline bearer` (or `… no token`). */
  seen: () => string[];
  close: () => Promise<void>;
}

export async function startRefusingDatabaseHost(
  status: number,
  error: string,
): Promise<RefusingDatabaseHost> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    const bearer = request.headers.authorization?.startsWith("Bearer ") ? "bearer" : "no token";
    seen.push(`${request.method} ${request.url} ${bearer}`);
    request.resume();
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify({ error }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${host}`,
    host,
    seen: () => [...seen],
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
