import type { IncomingMessage, ServerResponse } from "node:http";

type Listener = (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;

export interface Drainable {
  listener: Listener;
  /** From now on: no request begins, and every connection closes after the answer it awaits. */
  drain: () => void;
}

/**
 * A listener that can stop taking work while the server shuts down. Node's `server.close()` only
 * closes idle connections: a busy keep-alive client kept sending requests for the whole grace
 * period, each served, until the connections were reset with requests in them, whose clients
 * could not tell whether the write was done. Draining instead answers the requests in flight with
 * `Connection: close`, so the client opens a new connection (refused: nothing was sent), and a
 * request that begins after the stop with a 503 that did nothing, so nothing starts that the
 * grace period might cut off after its commit. `refuse` gives that 503: the app, told by the
 * request's edge (apiAccess, src/http/security/middleware.ts), so that it carries the headers of any other answer.
 */
export function drainable(listener: Listener, refuse: Listener): Drainable {
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  // One function for every answer, not a closure (and `once`'s wrapper) per request.
  function forget(this: ServerResponse) {
    inFlight.delete(this);
  }
  return {
    listener: (incoming, outgoing) => {
      if (draining) {
        // Whoever answers, the connection closes after it: its next request would be refused too.
        outgoing.shouldKeepAlive = false;
        refuse(incoming, outgoing);
        return;
      }
      inFlight.add(outgoing);
      outgoing.on("close", forget);
      listener(incoming, outgoing);
    },
    drain: () => {
      draining = true;
      for (const response of inFlight) {
        if (!response.headersSent) {
          // Node writes `Connection: close`, and ends the connection once the answer is flushed.
          response.shouldKeepAlive = false;
        } else {
          // An answer under way (a stream) has said keep-alive: end the connection after it. The
          // response lets go of its socket before 'finish', so it is taken now.
          const connection = response.socket;
          response.once("finish", () => connection?.end());
        }
      }
    },
  };
}
