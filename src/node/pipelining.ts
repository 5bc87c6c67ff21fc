import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

const ANSWERED = Symbol("previous response sent");
type Connection = Socket & { [ANSWERED]?: Promise<void> };
type Listener = (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;

/**
 * Serves the requests pipelined on one connection one after another: each waits until the
 * response before it has been handed to the operating system ('close' follows 'finish', or the
 * connection's end). Node runs every request of a read at once and keeps each response in memory
 * until the client reads the ones before it, so a client that wrote 60 KB of pipelined
 * `GET /openapi.json` and read nothing held about 200 MB of the server's memory for as long as it
 * kept the connection open. Node sends pipelined responses in order anyway; only the work waits.
 */
export function oneRequestAtATime(listener: Listener): Listener {
  return (incoming, outgoing) => {
    const connection = incoming.socket as Connection;
    const previous = connection[ANSWERED];
    const answered = new Promise<void>((resolve) => outgoing.once("close", resolve));
    connection[ANSWERED] = answered;
    void answered.then(() => {
      if (connection[ANSWERED] === answered) connection[ANSWERED] = undefined;
    });
    if (previous === undefined) return listener(incoming, outgoing);
    // Once the connection is gone nobody hears the answer: a waiting request is not served.
    void previous.then(() => {
      if (!connection.destroyed) listener(incoming, outgoing);
    });
  };
}
