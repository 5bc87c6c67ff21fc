import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { endpointUrl, IngestClient } from "../../scripts/lib/ingest-client";

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
});
