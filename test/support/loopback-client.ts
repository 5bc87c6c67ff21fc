import { createHash } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { createServer } from "node:net";
import { Readable } from "node:stream";

/*
 * Sends the suite's requests to a server process over real HTTP, each client from its own
 * loopback address. The server takes the client's address from the socket (as Cloudflare does),
 * so a CF-Connecting-IP the test sends would be replaced: instead, each distinct one is sent from
 * its own address in 127.0.0.0/8, and the server counts it as a client of its own.
 */

/** Statuses whose responses have no body, which the Response constructor refuses one for. */
const NULL_BODY = new Set([204, 205, 304]);

/** Whether this machine routes all of 127.0.0.0/8 to loopback (Linux does; macOS has 127.0.0.1 only). */
export const distinctClientAddresses: boolean = await canListenOn("127.0.0.2");

/** The loopback address standing for a client address: the same one for the same client. */
function loopbackFor(clientAddress: string | null): string | undefined {
  if (clientAddress === null || !distinctClientAddresses) return undefined;
  const [a = 0, b = 0, c = 0] = createHash("sha256").update(clientAddress).digest();
  // Not 127.0.0.1 (the suite's default client) and no .0/.255 host part.
  return `127.${a}.${b}.${2 + (c % 253)}`;
}

/** `request` sent to `origin` (its path and query kept), from its client's loopback address. */
export async function sendOverLoopback(request: Request, origin: string): Promise<Response> {
  const { pathname, search } = new URL(request.url);
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const body = hasBody ? Buffer.from(await request.arrayBuffer()) : undefined;
  const headers = Object.fromEntries(request.headers);
  // A body without a declared length goes chunked, so the app sees no Content-Length, as
  // in-process (node's client would otherwise send a DELETE's body with neither, unframed).
  if (body !== undefined && headers["content-length"] === undefined) {
    headers["transfer-encoding"] = "chunked";
  }
  const localAddress = loopbackFor(request.headers.get("CF-Connecting-IP"));
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${origin}${pathname}${search}`,
      { method: request.method, headers, localAddress },
      (incoming) => resolve(toResponse(incoming, request.method)),
    );
    outgoing.once("error", reject);
    outgoing.end(body);
  });
}

function toResponse(incoming: IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    for (const one of Array.isArray(value) ? value : [value ?? ""]) headers.append(name, one);
  }
  const status = incoming.statusCode ?? 500;
  const empty = method === "HEAD" || NULL_BODY.has(status);
  if (empty) incoming.resume();
  return new Response(empty ? null : (Readable.toWeb(incoming) as ReadableStream), {
    status,
    statusText: incoming.statusMessage,
    headers,
  });
}

function canListenOn(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}
