import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import { openRuntime, type Runtime } from "./runtime";
import type { ServerSettings } from "./settings";

/** How long a shutdown waits for requests in flight, then for the queue to empty. */
const REQUEST_GRACE_MS = 10_000;
const QUEUE_GRACE_MS = 10_000;

export interface RunningServer {
  url: string;
  runtime: Runtime;
  /** Stops accepting connections, finishes requests in flight and queued work, closes the database. */
  close: () => Promise<void>;
}

/** Opens (and migrates) the database, then serves the app over HTTP. */
export async function startServer(settings: ServerSettings): Promise<RunningServer> {
  const runtime = await openRuntime({
    databaseUrl: settings.databaseUrl,
    databaseAuthToken: settings.databaseAuthToken,
    ingestToken: settings.ingestToken,
    asOfDate: settings.asOfDate,
    retryDelaySeconds: settings.retryDelaySeconds,
    apiKeys: settings.apiKeys,
    corsOrigins: settings.corsOrigins,
    rateLimitPerMinute: settings.rateLimitPerMinute,
    decisionRetentionMonths: settings.decisionRetentionMonths,
  });

  let server: Server;
  let address: AddressInfo;
  try {
    ({ server, address } = await listen(runtime, settings));
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const url = `http://${formatHost(address.address)}:${address.port}`;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await stopAccepting(server);
      await runtime.close(QUEUE_GRACE_MS);
    })();
    return closing;
  };
  return { url, runtime, close };
}

function listen(runtime: Runtime, settings: ServerSettings) {
  return new Promise<{ server: Server; address: AddressInfo }>((resolve, reject) => {
    // Without a `createServer` option the adapter makes a plain node:http server.
    const server = serve(
      {
        fetch: (request, env: HttpBindings | Http2Bindings) => {
          // The client's address as the Worker sees it on Cloudflare: from the socket, never
          // from a header the client sent.
          request.headers.set("CF-Connecting-IP", env.incoming.socket.remoteAddress ?? "unknown");
          return runtime.fetch(request);
        },
        hostname: settings.host,
        port: settings.port,
      },
      (address) => resolve({ server, address }),
    ) as Server;
    // Before listening: the port is taken or the host is not ours.
    server.once("error", reject);
  });
}

/** Closes the listener; idle keep-alive connections at once, busy ones after the grace period. */
function stopAccepting(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), REQUEST_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function formatHost(address: string): string {
  return address.includes(":") ? `[${address}]` : address;
}
