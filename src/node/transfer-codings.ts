import type { IncomingMessage } from "node:http";
import { edgeProblemResponse, pathOf } from "./client-errors";

/**
 * Refuses a request sent with any transfer coding but `chunked` alone (`gzip, chunked`) with 400:
 * RFC 9112 §6.1 suggests 501, but a client's input never gets a 5xx here (docs/security.md,
 * "Input limits"). Node's parser undoes only `chunked` and hands the rest on as the body: a gzip
 * body failed as "not valid JSON", and a plain one labelled gzip was accepted under a false label. Decoding is not offered, for the reason
 * Content-Encoding is not (src/lib/content-encoding.ts). Node itself refuses, with 400, a request
 * whose codings do not end in `chunked` (src/node/client-errors.ts).
 */
export function refuseTransferCodings(
  incoming: Pick<IncomingMessage, "headers" | "url">,
): Response | null {
  const header = incoming.headers["transfer-encoding"];
  if (header === undefined) return null;
  const codings = header
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "");
  if (codings.every((coding) => coding === "chunked")) return null;
  return edgeProblemResponse(
    {
      kind: "unsupported-transfer-encoding",
      detail: `Transfer-Encoding "${header.slice(0, 40)}" is not supported: send the body with \`chunked\` alone, or with Content-Length.`,
      errors: [{ field: "Transfer-Encoding", message: "must be chunked alone or absent" }],
    },
    pathOf(incoming.url),
    incoming,
  );
}
