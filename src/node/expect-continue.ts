import type { IncomingMessage, ServerResponse } from "node:http";

type Listener = (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;

/**
 * Serves a request sent with `Expect: 100-continue` (Node's 'checkContinue'), sending
 * `100 Continue` only when the app starts reading the body, as Go's net/http does. Node alone
 * sends it before the app sees the request, so the client uploaded a body the app then refused
 * without reading it: over the size limit (413), a missing API key (401), a rate limit (429), no
 * such route (404). Answered without the 100, the client sends no body; Node then closes the
 * connection, since the client may still send it (RFC 9110 §10.1.1).
 */
export function continueWhenBodyRead(listener: Listener): Listener {
  return (incoming, outgoing) => {
    const read = incoming._read;
    // The stream asks for data (_read) when a consumer first reads: the app, or Node discarding
    // an unread body after the answer, when a 100 would be too late.
    incoming._read = function readAfterContinue(size) {
      incoming._read = read;
      if (!outgoing.headersSent) outgoing.writeContinue();
      read.call(this, size);
    };
    return listener(incoming, outgoing);
  };
}
