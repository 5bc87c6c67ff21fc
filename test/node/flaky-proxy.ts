/*
 * An HTTP proxy on 127.0.0.1 in front of a local Worker that "loses the network": after a given
 * number of ingest batches it cuts every connection, as a laptop dropping off Wi-Fi would. It
 * keeps the bodies of the batches it forwarded, so a test can see what the script sent.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Headers that belong to one connection and must not be forwarded. */
const HOP_BY_HOP = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
]);

export interface FlakyProxy {
  url: string;
  batchesForwarded: () => number;
  /** The JSON bodies of the forwarded `POST /ingest/batches`, in the order they arrived. */
  forwardedBatches: () => unknown[];
  close: () => Promise<void>;
}

export async function startFlakyProxy(
  target: string,
  batchesBeforeCut: number,
  /** Cuts every request, not only batches, once a forwarded job report satisfies this. */
  cutAfterJob: (job: unknown) => boolean = () => false,
): Promise<FlakyProxy> {
  let batches = 0;
  let cutAll = false;
  const bodies: unknown[] = [];
  const server: Server = createServer(async (request, response) => {
    const isBatch = request.method === "POST" && request.url?.startsWith("/ingest/batches");
    if (cutAll || (isBatch && batches >= batchesBeforeCut)) {
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const forwarded = await fetch(new URL(request.url ?? "/", target), {
      method: request.method,
      headers: Object.entries(request.headers).flatMap(([name, value]) =>
        typeof value === "string" && !HOP_BY_HOP.has(name)
          ? [[name, value] as [string, string]]
          : [],
      ),
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    if (isBatch) {
      batches++;
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    }
    const headers = [...forwarded.headers].filter(
      ([name]) => !HOP_BY_HOP.has(name) && name !== "content-encoding",
    );
    const body = Buffer.from(await forwarded.arrayBuffer());
    if (request.url?.startsWith("/ingest/jobs/") && forwarded.ok) {
      cutAll ||= cutAfterJob(JSON.parse(body.toString("utf8")));
    }
    response.writeHead(forwarded.status, Object.fromEntries(headers));
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    batchesForwarded: () => batches,
    forwardedBatches: () => bodies,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
