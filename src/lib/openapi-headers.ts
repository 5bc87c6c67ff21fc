/*
 * Request headers every operation (or every read) takes, declared in the OpenAPI document after
 * it is built: as route schemas they would be validated, and these have rules of their own (a
 * request id that is not safe is replaced, not refused; a bookmark is read on Workers only).
 */
import { BOOKMARK_HEADER, BOOKMARK_PATTERN } from "./bookmark-header";
import { MAX_REQUEST_ID_LENGTH, REQUEST_ID_HEADER, SAFE_REQUEST_ID } from "./response-headers";
import { isReadOnlyApiRequest } from "./security/paths";

interface Operation {
  parameters?: unknown[];
  responses?: Record<string, { headers?: Record<string, unknown> }>;
}

interface Document {
  paths?: Record<string, Record<string, Operation>>;
  components?: {
    parameters?: Record<string, unknown>;
    headers?: Record<string, unknown>;
    [other: string]: unknown;
  };
}

const WHERE = "On Workers over D1 only; the Node server and libSQL never send it.";

const bookmarkRequestHeader = {
  name: BOOKMARK_HEADER,
  in: "header",
  required: false,
  description: `A bookmark from an earlier response's ${BOOKMARK_HEADER}: the read is served by a database copy at least that recent, so it sees the writes that response reported. Without it, any replica may answer. A value not shaped like a D1 bookmark is a 400; an empty one is the same as none. ${WHERE}`,
  schema: {
    type: "string",
    pattern: BOOKMARK_PATTERN,
    example: "0000004a-00000003-00004f9d-8d0f1c67d58b4ff3c24a2a4fbd0c3b7e",
  },
};

const bookmarkResponseHeader = {
  description: `The D1 session's bookmark after this request: send it back on a later read to see at least this state. Absent when the request ran no query, except a read refused for a malformed path id or body, which gets back the one it sent. ${WHERE}`,
  schema: { type: "string" },
};

const requestIdRequestHeader = {
  name: REQUEST_ID_HEADER,
  in: "header",
  required: false,
  description: `Your own id for this request, to find it in the API's logs: the response's ${REQUEST_ID_HEADER} and a problem's request_id echo it. An id over ${MAX_REQUEST_ID_LENGTH} characters, or with characters other than letters, digits, underscore, hyphen and equals sign, is not refused: the request gets a new id instead.`,
  schema: {
    type: "string",
    maxLength: MAX_REQUEST_ID_LENGTH,
    pattern: SAFE_REQUEST_ID.source,
  },
};

/**
 * Declares the request id and the bookmark once each, as components, and references them from the
 * operations: the request id in every request, the bookmark in the requests of the reads it applies
 * to (the same rule the app follows) and in every response.
 */
export function declareCommonHeaders<D extends object>(document: D): D {
  const doc = document as Document;
  doc.components = {
    ...doc.components,
    parameters: {
      ...doc.components?.parameters,
      RequestId: requestIdRequestHeader,
      D1Bookmark: bookmarkRequestHeader,
    },
    headers: { ...doc.components?.headers, D1Bookmark: bookmarkResponseHeader },
  };
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const reads = isReadOnlyApiRequest(method.toUpperCase(), path);
      operation.parameters = [
        ...(operation.parameters ?? []),
        { $ref: "#/components/parameters/RequestId" },
        ...(reads ? [{ $ref: "#/components/parameters/D1Bookmark" }] : []),
      ];
      for (const response of Object.values(operation.responses ?? {})) {
        response.headers = {
          ...response.headers,
          [BOOKMARK_HEADER]: { $ref: "#/components/headers/D1Bookmark" },
        };
      }
    }
  }
  return document;
}

/**
 * Every response header the document declares, each once: what CORS exposes, so that a browser on
 * an allowed origin reads each header a client generated from the document expects.
 */
export function declaredResponseHeaders(document: object): string[] {
  const names = new Map<string, string>();
  for (const operations of Object.values((document as Document).paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) {
        for (const name of Object.keys(response.headers ?? {})) {
          if (!names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
        }
      }
    }
  }
  return [...names.values()];
}
