import { BOOKMARK_HEADER } from "./bookmark-header";
import { isReadOnlyApiRequest } from "./security/paths";

interface Operation {
  parameters?: unknown[];
  responses?: Record<string, { headers?: Record<string, unknown> }>;
}

interface Document {
  paths?: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown> | undefined>;
}

const WHERE = "On Workers over D1 only; the Node server and libSQL never send it.";

const requestHeader = {
  name: BOOKMARK_HEADER,
  in: "header",
  required: false,
  description: `A bookmark from an earlier response's ${BOOKMARK_HEADER}: the read is served by a database copy at least that recent, so it sees the writes that response reported. Without it, any replica may answer. A value not shaped like a D1 bookmark is a 400. ${WHERE}`,
  schema: {
    type: "string",
    pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{8}-[0-9a-fA-F]{8}-[0-9a-fA-F]{32}$",
    example: "0000004a-00000003-00004f9d-8d0f1c67d58b4ff3c24a2a4fbd0c3b7e",
  },
};

const responseHeader = {
  description: `The D1 session's bookmark after this request: send it back on a later read to see at least this state. Absent when the request ran no query (a read that sent one gets it back). ${WHERE}`,
  schema: { type: "string" },
};

/**
 * Declares the bookmark header once, as components, and references it from every operation:
 * in the request of the reads it applies to (the same rule the app follows), in every response.
 */
export function declareBookmarkHeader<D extends object>(document: D): D {
  const doc = document as Document;
  doc.components = {
    ...doc.components,
    parameters: { ...doc.components?.parameters, D1Bookmark: requestHeader },
    headers: { ...doc.components?.headers, D1Bookmark: responseHeader },
  };
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      if (isReadOnlyApiRequest(method.toUpperCase(), path)) {
        operation.parameters = [
          ...(operation.parameters ?? []),
          { $ref: "#/components/parameters/D1Bookmark" },
        ];
      }
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
