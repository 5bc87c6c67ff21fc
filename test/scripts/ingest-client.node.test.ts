import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { endpointUrl, IngestClient } from "../../scripts/lib/ingest-client";

/**
 * The client's two attempts to send against a server that always answers `status` with `body`:
 * the retry line it printed in between, and the error it gave up with.
 */
async function twoRefusedAttempts(
  status: number,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ retries: string[]; error: string | null }> {
  const server = createServer((_request, response) => {
    response.writeHead(status, headers);
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const retries: string[] = [];
    const client = new IngestClient(
      `http://127.0.0.1:${port}`,
      "token",
      (what, attempt, error) => retries.push(`${what} ${attempt}: ${error}`),
      2,
    );
    const error = await client.sendMessages([]).then(
      () => null,
      (failure: Error) => failure.message,
    );
    return { retries, error };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("the ingest script's client", () => {
  it("keeps the base URL's path", () => {
    expect(endpointUrl("https://lender.example", "/ingest/summary").href).toBe(
      "https://lender.example/ingest/summary",
    );
    expect(endpointUrl("https://lender.example/credit", "/ingest/summary").href).toBe(
      "https://lender.example/credit/ingest/summary",
    );
    expect(endpointUrl("https://lender.example/credit/", "/ingest/jobs/j-1").href).toBe(
      "https://lender.example/credit/ingest/jobs/j-1",
    );
  });

  it("sends its requests under a --url with a path", async () => {
    const paths: string[] = [];
    const server = createServer((request, response) => {
      paths.push(request.url ?? "");
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ customers: 3, loans: 4 }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = new IngestClient(`http://127.0.0.1:${port}/credit`, "token");
      expect(await client.storedRows()).toEqual({ customers: 3, loans: 4 });
      expect(paths).toEqual(["/credit/ingest/summary"]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("says why the server refused, in each retry and when it gives up", async () => {
    // The body the server sends when its disk is full (test/node-server/disk-full.node.test.ts).
    const outOfSpace = {
      type: "/problems/service-unavailable",
      title: "Service temporarily unavailable",
      status: 503,
      detail: "The database is out of storage space. Nothing was changed; retry the request later.",
    };
    const { retries, error } = await twoRefusedAttempts(503, JSON.stringify(outOfSpace), {
      "content-type": "application/problem+json",
      "retry-after": "30",
    });
    expect(error).toContain(`failed 2 times; last error: HTTP 503: ${outOfSpace.detail}`);
    expect(retries).toEqual([`POST /ingest/batches 1: HTTP 503: ${outOfSpace.detail}`]);
  });

  it("says only the status when a 5xx has no body (a proxy's 502)", async () => {
    const { retries, error } = await twoRefusedAttempts(502, "");
    expect(error).toMatch(/failed 2 times; last error: HTTP 502$/);
    expect(retries).toEqual(["POST /ingest/batches 1: HTTP 502"]);
  });
});
