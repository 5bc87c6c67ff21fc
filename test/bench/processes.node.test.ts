// The bench's server handling with a server that forks workers: readiness found among several
// processes' logs, every process counted, and all of them stopped with the group.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, startServer } from "../../bench/lib/processes";

describe("a multi-process server under the bench", () => {
  it("finds the ready line among its workers' logs, waits until it answers, and stops with all its workers", async () => {
    const server = await startServer(
      join(ROOT, "test/bench/fixtures/cluster-server.ts"),
      { WEB_CONCURRENCY: "2" },
      { root: ROOT, readyPath: "/" },
    );
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(server.url)).text()).toBe("ok, WEB_CONCURRENCY 2");
      // tsx, its node process (the primary) and the two workers.
      expect(server.processCount()).toBeGreaterThanOrEqual(4);
    } finally {
      await server.stop();
    }
    expect(server.processCount()).toBe(0);
  });

  it("leaves a variable set to undefined out of the server's environment, even when inherited", async () => {
    const inherited = process.env.WEB_CONCURRENCY;
    process.env.WEB_CONCURRENCY = "7";
    try {
      const server = await startServer(
        join(ROOT, "test/bench/fixtures/cluster-server.ts"),
        { WEB_CONCURRENCY: undefined },
        { root: ROOT, readyPath: "/" },
      );
      try {
        expect(await (await fetch(server.url)).text()).toBe("ok, WEB_CONCURRENCY unset");
      } finally {
        await server.stop();
      }
    } finally {
      if (inherited === undefined) delete process.env.WEB_CONCURRENCY;
      else process.env.WEB_CONCURRENCY = inherited;
    }
  });
});
