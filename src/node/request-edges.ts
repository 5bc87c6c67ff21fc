import type { ServerResponse } from "node:http";
import type { Http2ServerResponse } from "node:http2";
import type { EdgeOf, RequestEdge } from "../lib/request-edge";

/*
 * The edge of each request the HTTP listener serves, kept on the request object itself: a
 * WeakMap entry per request would cost the garbage collector more than the property does.
 */
const EDGE = Symbol("request edge");
type WithEdge = Request & { [EDGE]?: RequestEdge };

/**
 * Records what the listener knows of `request`: the socket's address, the Node response the
 * adapter will write, which the app adds its constant headers to (src/lib/response-headers.ts),
 * and whether the server was stopping when it arrived (src/node/draining.ts).
 */
export function recordEdge(
  request: Request,
  clientAddress: string,
  response: ServerResponse | Http2ServerResponse,
  stopping: boolean,
): void {
  (request as WithEdge)[EDGE] = { clientAddress, response, stopping };
}

export const nodeEdgeOf: EdgeOf = (request) => (request as WithEdge)[EDGE];
