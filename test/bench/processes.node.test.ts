// The bench's server handling with a server that forks workers: readiness found among several
// processes' logs, every process counted, and all of them stopped with the group.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, startServer } from "../../bench/lib/processes";

describe("a multi-process server under the bench", () => {
  it("finds the ready line among its workers' logs, waits until it answers, and stops with all its workers", async () => {
    const server = await startServer(
      join(ROOT, "test/bench/fixtures/cluster-server.ts"),
      {},
      { root: ROOT, readyPath: "/" },
    );
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(server.url)).text()).toBe("ok");
      // tsx, its node process (the primary) and the two workers.
      expect(server.processCount()).toBeGreaterThanOrEqual(4);
    } finally {
      await server.stop();
    }
    expect(server.processCount()).toBe(0);
  });
});
