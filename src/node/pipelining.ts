import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

const WAITING = Symbol("requests waiting for the answer before them");
type Connection = Socket & { [WAITING]?: (() => void)[] | undefined };
type Listener = (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;

/**
 * Requests one connection may have waiting; one more resets it, unanswered. Node parses whatever
 * arrives (it stops reading only for unsent answers, which waiting requests do not have yet), so
 * one connection that wrote 10 MB of pipelined `GET /healthz` held ~700 MB of a worker's memory
 * and stalled it for about a minute. At this bound 20 such connections cost ~20 MB.
 */
export const MAX_WAITING_REQUESTS = 1_024;

/**
 * Serves the requests pipelined on one connection one after another: each waits until the
 * response before it has been handed to the operating system ('close' follows 'finish', or the
 * connection's end). Node runs every request of a read at once and keeps each response in memory
 * until the client reads the ones before it, so a client that wrote 60 KB of pipelined
 * `GET /openapi.json` and read nothing held about 200 MB of the server's memory for as long as it
 * kept the connection open. Node sends pipelined responses in order anyway; only the work waits.
 * A connection with one request at a time (every usual client) pays one 'close' listener.
 */
export function oneRequestAtATime(listener: Listener): Listener {
  return (incoming, outgoing) => {
    const connection = incoming.socket as Connection;
    // Read after an answer that closes the connection (a 417's Connection: close): nobody would
    // hear this one, so it is not done at all.
    if (!connection.writable) return;
    outgoing.once("close", () => serveNext(connection));
    const waiting = connection[WAITING];
    if (waiting === undefined) {
      connection[WAITING] = [];
      listener(incoming, outgoing);
    } else {
      if (waiting.length >= MAX_WAITING_REQUESTS) {
        connection[WAITING] = [];
        connection.resetAndDestroy();
        return;
      }
      waiting.push(() => listener(incoming, outgoing));
    }
  };
}

function serveNext(connection: Connection): void {
  const next = connection[WAITING]?.shift();
  // Once the connection is gone or closing nobody hears the answers: the waiting requests are not
  // served, so none is done without an answer.
  if (next === undefined || !connection.writable) connection[WAITING] = undefined;
  else next();
}
