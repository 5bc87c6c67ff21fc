import { type IncomingMessage, maxHeaderSize, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { RequestError } from "@hono/node-server";
import { log } from "../lib/log";
import { type FieldError, type ProblemInit, problemBody } from "../lib/problem";
import { requestIdFor, SECURITY_HEADERS } from "../lib/response-headers";

/**
 * The part of the request each of the parser's refusals points at, so that the 400 names it as
 * the app's own 400s name a field. A code not here is named by none (a broken request line).
 */
const PARSER_FIELDS: Readonly<Record<string, FieldError>> = {
  // RFC 9112 §6.3: a request whose framing cannot be known is a 400, and the connection closed.
  HPE_INVALID_TRANSFER_ENCODING: {
    field: "Transfer-Encoding",
    message: "must end in chunked, name it once, and not come with Content-Length",
  },
  HPE_UNEXPECTED_CONTENT_LENGTH: { field: "Content-Length", message: "must be given once" },
  HPE_INVALID_CONTENT_LENGTH: { field: "Content-Length", message: "must be a number of bytes" },
  HPE_INVALID_CHUNK_SIZE: {
    field: "body",
    message: "must be chunked with hexadecimal chunk sizes below 2^64",
  },
  HPE_INVALID_HEADER_TOKEN: {
    field: "headers",
    message: "must each be a name, a colon and a value on one line, without control characters",
  },
  HPE_INVALID_METHOD: { field: "method", message: "must be a method this server knows" },
};

/**
 * The parser's code, except that Content-Length after Transfer-Encoding comes with Content-Length's
 * code (its reason names both), which called a length that is a number "not a number of bytes":
 * the framing is Transfer-Encoding's fault in either order.
 */
function framingCode(error: { code?: string; reason?: string }): string | undefined {
  const withTransferEncoding =
    error.code === "HPE_INVALID_CONTENT_LENGTH" && error.reason?.includes("Transfer-Encoding");
  return withTransferEncoding ? "HPE_INVALID_TRANSFER_ENCODING" : error.code;
}

/** A body that stopped arriving (src/node/server.ts, REQUEST_TIMEOUT_MS). */
const BODY_TIMEOUT: ProblemInit = {
  kind: "request-timeout",
  detail: "The request's body did not arrive in time: send the whole request within 60 s.",
  errors: [{ field: "body", message: "stopped arriving before its end" }],
};

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
  const error = code === undefined ? undefined : PARSER_FIELDS[code];
  if (error === undefined)
    return { kind: "bad-request", detail: "The request is not valid HTTP/1.1." };
  return {
    kind: "bad-request",
    detail: `The request is not valid HTTP/1.1: ${error.field} ${error.message}.`,
    errors: [error],
  };
}

/**
 * Answers a request the HTTP parser refused (headers over the limit, an unknown method, a broken
 * request line) with problem+json and the usual headers, where Node alone would send an empty 400
 * or 431; the app never sees such a request. Then closes the connection, as Node does.
 */
export function answerClientError(
  error: Error & { code?: string; reason?: string },
  socket: Duplex,
): void {
  // Bytes after a `Connection: close` request: the requests before them are still being answered,
  // and Node closes the connection after the last one, so the rest is ignored (RFC 9112 §9.6).
  if (error.code === "HPE_CLOSED_CONNECTION") return;
  const started = (
    socket as Duplex & { _httpMessage?: Pick<ServerResponse, "headersSent" | "req"> }
  )._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || started?.headersSent) {
    socket.destroy();
    return;
  }
  // A response object exists once the headers are in: what did not arrive in time is the body.
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT" && started !== undefined) {
    endWithProblem(socket, BODY_TIMEOUT, started.req, pathOf(started.req.url));
    return;
  }
  endWithProblem(socket, problemFor(framingCode(error)));
}

/**
 * Answers a request whose `Expect` asks for anything but `100-continue` with problem+json, where
 * Node alone sends an empty 417 without the usual headers. Node has not read the body, so the
 * connection is closed after the answer, as for the parser's refusals.
 */
export function answerExpectation(request: IncomingMessage, response: ServerResponse): void {
  const { status, body, headers } = edgeProblem(
    {
      kind: "expectation-failed",
      detail:
        "Only `Expect: 100-continue` is supported: send the request without the other expectation.",
      errors: [{ field: "Expect", message: "must be 100-continue or absent" }],
    },
    pathOf(request.url),
    request,
  );
  response.writeHead(status, headers.flat() as string[]);
  response.end(body);
}

/**
 * Answers what the Node adapter could not serve, where it alone sends an empty 400 or 500 without
 * the usual headers. A RequestError is a request it cannot make a Fetch Request of: a target that
 * is not a path (`OPTIONS *`, a backslash in the path, a broken absolute URL) or a Host header that
 * is not a host name; anything else escaped the app's own error handler, a bug.
 */
export function answerUnservable(error: unknown): Response {
  if (!(error instanceof RequestError)) {
    log("error", "unhandled error at the HTTP edge", { error: (error as Error)?.name });
  }
  return edgeProblemResponse(
    error instanceof RequestError
      ? {
          kind: "bad-request",
          detail: "The request target must be a path, and Host a host name.",
          errors: [
            refusesHost(error)
              ? { field: "Host", message: "must be a host name, with a port or not" }
              : { field: "request-target", message: "must be a path without backslashes" },
          ],
        }
      : { kind: "internal-error", detail: "Something went wrong on our side." },
    "/",
  );
}

/**
 * Whether the adapter refused the Host header: it says so by name, or its URL parser failed on
 * `http://<Host><target>` (the cause's input) with a target that is a path, which never fails on its
 * own: `Host: bad host` was named as the request target. Without a "/" after the Host the target is
 * `*`, and that fails after any Host the adapter parses (an IPv6 address, a port below 1000).
 */
function refusesHost(error: RequestError): boolean {
  if (/host/i.test(error.message)) return true;
  const { input } = (error.cause ?? {}) as { input?: unknown };
  if (error.message !== "Invalid URL" || typeof input !== "string") return false;
  return input.slice(input.indexOf("//") + 2).includes("/");
}

/**
 * A request without Host (HTTP/1.1) or with more than one Host line (any version): a 400, as RFC
 * 9112 §3.2 requires, answered with the usual problem. Node's own check (`requireHostHeader`,
 * turned off in src/node/server.ts) sent an empty 400 without a request id, and Node keeps the
 * first of two Host lines, where a proxy in front may route or cache by the last.
 */
export function refuseBadHost(
  request: Pick<
    IncomingMessage,
    "headers" | "rawHeaders" | "url" | "httpVersionMajor" | "httpVersionMinor"
  >,
): Response | null {
  const http11 = request.httpVersionMajor === 1 && request.httpVersionMinor === 1;
  const missing = http11 && request.headers.host === undefined;
  if (!missing && !hasSeveralHostLines(request.rawHeaders)) return null;
  return edgeProblemResponse(
    {
      kind: "bad-request",
      detail: missing
        ? "An HTTP/1.1 request must carry a Host header."
        : "A request must carry one Host header, not several.",
      errors: [{ field: "Host", message: missing ? "must be given" : "must be given once" }],
    },
    pathOf(request.url),
    request,
  );
}

/** Names are at even places in `rawHeaders`, as sent; a loop, as this runs on every request. */
function hasSeveralHostLines(rawHeaders: readonly string[]): boolean {
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name?.length === 4 && name.toLowerCase() === "host" && ++seen > 1) return true;
  }
  return false;
}

/** A problem the edge answers through the Node adapter, as a Fetch Response; closes the connection. */
export function edgeProblemResponse(
  init: ProblemInit,
  instance: string,
  request?: Caller,
): Response {
  const { status, body, headers } = edgeProblem(init, instance, request);
  return new Response(body, { status, headers: headers as [string, string][] });
}

/**
 * Answers `CONNECT` (this is no proxy) with problem+json and closes the connection, where Node
 * alone closes it without a word.
 */
export function answerConnect(request: IncomingMessage, socket: Duplex): void {
  endWithProblem(
    socket,
    {
      kind: "bad-request",
      detail: "CONNECT is not supported: this server is not a proxy.",
      errors: [{ field: "method", message: "must not be CONNECT" }],
    },
    request,
  );
}

/**
 * Writes a problem answer straight to the socket, then closes the connection. Its instance is "/"
 * unless the request's target was read.
 */
function endWithProblem(socket: Duplex, init: ProblemInit, request?: Caller, instance = "/"): void {
  const { status, body, headers } = edgeProblem(init, instance, request);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}

/** What the edge reads of a request whose headers were parsed. */
type Caller = Pick<IncomingMessage, "headers">;

/**
 * A problem answered by the HTTP edge itself: its status, body and every header but the status
 * line. Its id is the caller's `X-Request-Id` by the app's rule, when the request was parsed.
 */
function edgeProblem(init: ProblemInit, instance: string, request?: Caller) {
  const offered = request?.headers["x-request-id"];
  const requestId = requestIdFor(typeof offered === "string" ? offered : undefined);
  const problem = problemBody(init, instance, requestId);
  const body = JSON.stringify(problem);
  const headers: (readonly [string, string])[] = [
    ["Content-Type", "application/problem+json"],
    ["Content-Length", String(Buffer.byteLength(body))],
    ["Connection", "close"],
    ["Cache-Control", "no-store"],
    ["X-Request-Id", requestId],
    ...SECURITY_HEADERS,
  ];
  return { status: problem.status, body, headers };
}

/** The path of a request target, or "/" when it is not one. */
export function pathOf(target: string | undefined): string {
  try {
    return new URL(target ?? "/", "http://localhost").pathname;
  } catch {
    return "/";
  }
}
