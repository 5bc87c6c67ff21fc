/**
 * What a runtime's HTTP edge knows about a request beyond the Fetch `Request`, handed to the app
 * by `AppOptions.edge`. The Node server has one per request (src/node/request-edges.ts); the Worker
 * has none, and neither do requests handed to the app in-process (tests): the app then uses the
 * request's own headers and the response's.
 */
export interface RequestEdge {
  /**
   * The client's address: the socket's, or behind a proxy named in the Node server's
   * TRUSTED_PROXIES the one its X-Forwarded-For names (src/node/trusted-proxies.ts). A client's own
   * CF-Connecting-IP header never counts.
   */
  clientAddress: string;
  /**
   * The response the edge is about to write, to add headers to. Cheaper than the response's Fetch
   * `Headers` on the Node server: a response whose headers are never touched there is written
   * from a plain object, without building `Headers` for it at all.
   */
  response: EdgeResponse;
  /**
   * The server had begun to stop when the request arrived: the app answers it 503 without doing
   * it (apiAccess, src/http/security/middleware.ts), with the headers of any other answer.
   */
  stopping: boolean;
}

/** The Node `ServerResponse` the edge will write. */
interface EdgeResponse extends HeaderSink {
  /** True once the connection is gone: the client closed it before the answer was written. */
  readonly destroyed: boolean;
}

/** Where headers can be added before the response is written (a Node `ServerResponse`). */
export interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/** The edge of a request, when its runtime has one. */
export type EdgeOf = (request: Request) => RequestEdge | undefined;

export const noEdge: EdgeOf = () => undefined;
