import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type ProblemInit, problemBody } from "../lib/problem";
import { SECURITY_HEADERS } from "../lib/response-headers";

/** What Node's HTTP parser says of a request it cannot read, and how this server answers it. */
function problemFor(code: string | undefined): ProblemInit {
  if (code === "HPE_HEADER_OVERFLOW") {
    return {
      kind: "headers-too-large",
      detail: `The request's headers are over ${maxHeaderSize} bytes in all: send fewer or shorter ones.`,
      errors: [{ field: "headers", message: `are over ${maxHeaderSize} bytes in all` }],
    };
  }
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") {
    return { kind: "request-timeout", detail: "The request did not arrive in time." };
  }
  return { kind: "bad-request", detail: "The request is not valid HTTP/1.1." };
}

/**
 * Answers a request the HTTP parser refused (headers over the limit, an unknown method, a broken
 * request line) with problem+json and the usual headers, where Node alone would send an empty 400
 * or 431; the app never sees such a request. Then closes the connection, as Node does.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || started?.headersSent) {
    socket.destroy();
    return;
  }
  const requestId = crypto.randomUUID();
  const problem = problemBody(problemFor(error.code), "/", requestId);
  const body = JSON.stringify(problem);
  const headers = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}`,
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "Cache-Control: no-store",
    `X-Request-Id: ${requestId}`,
    ...SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${headers.join("\r\n")}\r\n\r\n${body}`);
}
