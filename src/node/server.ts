import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener, type Http2Bindings, type HttpBindings } from "@hono/node-server";
import { log } from "../lib/log";
import { canonicalHost, localUrl } from "../lib/url-host";
import {
  answerClientError,
  answerConnect,
  answerExpectation,
  answerUnservable,
  refuseBadHost,
} from "./client-errors";
import { drainable } from "./draining";
import { continueWhenBodyRead } from "./expect-continue";
import { oneRequestAtATime } from "./pipelining";
import { recordEdge } from "./request-edges";
import { openRuntime, type Runtime } from "./runtime";
import { DEFAULT_KEEP_ALIVE_TIMEOUT_SECONDS, type ServerSettings } from "./settings";
import { resetStalledConnections } from "./stalled-connections";
import { loadStaticAssets, PUBLIC_DIR, type StaticAssets } from "./static-assets";
import { refuseTransferCodings } from "./transfer-codings";
import { clientAddress, NO_TRUSTED_PROXIES } from "./trusted-proxies";

/** How long a shutdown waits for requests in flight, then for the queue to empty. */
export const REQUEST_GRACE_MS = 10_000;
export const QUEUE_GRACE_MS = 10_000;
/**
 * How long a stopping server still reads its idle keep-alive connections, so that a request a
 * client has already sent on one is answered 503 (not done), where closing it would reset it.
 */
const IDLE_LINGER_MS = 250;
/** How long an answer may wait for a client that reads none of it (docs/security.md). */
const STALLED_RESPONSE_MS = 60_000;

/**
 * How long a request, headers and body, may take to arrive. Node's default is 300 s, which let a
 * body that stopped arriving hold its connection five minutes; 64 KB (512 KB for an ingest chunk)
 * takes seconds on any real link. Headers keep their 60 s (docs/security.md).
 */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Where to listen, and whose X-Forwarded-For to believe (none when absent); `stalledResponseMs`
 * and `requestTimeoutMs` replace the constants (tests).
 */
type ListenSettings = Pick<ServerSettings, "host" | "port"> &
  Partial<Pick<ServerSettings, "trustedProxies" | "keepAliveTimeoutSeconds">> & {
    stalledResponseMs?: number;
    requestTimeoutMs?: number;
  };

export interface RunningServer<R extends ServedRuntime = Runtime> {
  url: string;
  runtime: R;
  /** Stops accepting connections, finishes requests in flight and queued work, closes the database. */
  close: () => Promise<void>;
}

/** What the HTTP listener serves: a Runtime, or a cluster worker's (src/node/cluster/worker.ts). */
export interface ServedRuntime {
  fetch: (request: Request) => Promise<Response>;
  /** Lets queued work finish (up to `drainMs`), then closes the database. */
  close: (drainMs?: number) => Promise<void>;
}

/**
 * A start stopped by its AbortSignal (a signal to `npm run serve`): what had started has finished
 * its requests, and the database is closed.
 */
export class StartStoppedError extends Error {
  override name = "StartStoppedError";
}

/** Opens (and migrates) the database, then serves the app over HTTP, unless `stop` came first. */
export async function startServer(
  settings: ServerSettings,
  stop?: AbortSignal,
): Promise<RunningServer> {
  const runtime = await openRuntime(settings, { confirmWritable: true });
  if (stop?.aborted) {
    await runtime.close();
    throw new StartStoppedError("stopped before it listened");
  }
  return serveRuntime(runtime, settings);
}

/** Serves an open runtime over HTTP; closes it when the listener cannot start. */
export async function serveRuntime<R extends ServedRuntime>(
  runtime: R,
  settings: ListenSettings,
): Promise<RunningServer<R>> {
  let server: Server;
  let address: AddressInfo;
  let drain: () => void;
  try {
    const assets = await loadStaticAssets();
    if (assets.paths.length === 0) {
      log("warn", "no static assets: the console and /docs need `npm run build:assets`", {
        directory: PUBLIC_DIR,
      });
    }
    ({ server, address, drain } = await listen(runtime, assets, settings));
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const url = localUrl(address.address, address.port);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await stopAccepting(server, drain);
      await runtime.close(QUEUE_GRACE_MS);
    })();
    return closing;
  };
  return { url, runtime, close };
}

/** The listening server, and what starts its drain (src/node/draining.ts). */
type Listening = { server: Server; address: AddressInfo; drain: () => void };

function listen(runtime: ServedRuntime, assets: StaticAssets, settings: ListenSettings) {
  const trustedProxies = settings.trustedProxies ?? NO_TRUSTED_PROXIES;
  return new Promise<Listening>((resolve, reject) => {
    // One adapter for the requests served, one for those refused by a stopping server: no asset
    // either, since the drain starts nothing new (src/node/draining.ts).
    const serving = (stopping: boolean) =>
      getRequestListener(
        async (request, env: HttpBindings | Http2Bindings) => {
          // Before anything reads the body, which Node cannot decode.
          const refusal = refuseBadHost(env.incoming) ?? refuseTransferCodings(env.incoming);
          if (refusal) return refusal;
          if (!stopping) {
            // Static assets first, as on Workers, where they never reach the Worker's code.
            const asset = await assets.serve(request);
            if (asset) return asset;
          }
          // The client's address from the socket; from X-Forwarded-For only when the socket's
          // peer is one of TRUSTED_PROXIES (an untrusted peer's header is not even read).
          const peer = env.incoming.socket.remoteAddress ?? "unknown";
          const address = clientAddress(
            trustedProxies,
            peer,
            () => env.incoming.headers["x-forwarded-for"],
          );
          recordEdge(request, address, env.outgoing, stopping);
          return runtime.fetch(request);
        },
        // The URL's host for a request without Host (HTTP/1.0) as a URL spells it (`::` is `[::]`):
        // an IPv6 HOST as given made no URL, and such a request was a 400.
        { hostname: canonicalHost(settings.host), errorHandler: answerUnservable },
      );
    const { listener: draining, drain } = drainable(serving(false), serving(true));
    const serve = oneRequestAtATime(draining);
    const requestTimeout = settings.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    const server = createServer(
      {
        requestTimeout,
        // A request without Host is refused as the edge's other 400s are (refuseBadHost).
        requireHostHeader: false,
        // Node refuses a headers timeout over the request's; both are checked on this interval.
        headersTimeout: Math.min(60_000, requestTimeout),
        connectionsCheckingInterval: requestTimeout / 2,
        keepAliveTimeout:
          (settings.keepAliveTimeoutSeconds ?? DEFAULT_KEEP_ALIVE_TIMEOUT_SECONDS) * 1000,
      },
      serve,
    );
    server.listen(settings.port, settings.host, () =>
      resolve({ server, address: server.address() as AddressInfo, drain }),
    );
    // Before listening: the port is taken or the host is not ours.
    server.once("error", reject);
    server.on("clientError", answerClientError);
    server.on("connect", answerConnect);
    server.on("checkContinue", continueWhenBodyRead(serve));
    server.on("checkExpectation", answerExpectation);
    const stopSweeps = resetStalledConnections(
      server,
      settings.stalledResponseMs ?? STALLED_RESPONSE_MS,
    );
    server.once("close", stopSweeps);
  });
}

/**
 * Drains (src/node/draining.ts), reads what idle connections already carry, then closes the
 * listener and the idle connections; a busy one closes after its answer, and any still busy after
 * the grace period is cut.
 */
async function stopAccepting(server: Server, drain: () => void): Promise<void> {
  drain();
  await new Promise((resolve) => setTimeout(resolve, IDLE_LINGER_MS));
  // After a poll phase of the event loop, which reads what has arrived meanwhile.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), REQUEST_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
