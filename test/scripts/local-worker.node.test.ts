import { afterAll, describe, expect, it } from "vitest";
import {
  freePort,
  type LocalWorker,
  onFreshPort,
  type PortTry,
  startLocalWorker,
} from "../../scripts/lib/local-worker";
import { holdPort } from "../node/held-port";

/*
 * freePort's port is free only when it answers: in the seconds before wrangler dev listens on it,
 * wrangler's own servers (ports of the OS's choosing) or another process can take it, and the
 * Worker never started (about 1 start in 7,000; ~20 starts a suite run). Here a server holds the
 * first port offered, as the one that took it would.
 */

let worker: LocalWorker | undefined;
afterAll(async () => {
  await worker?.stop();
});

it("starts on another port when the one it picked was taken before wrangler listened", async () => {
  const taken = await holdPort();
  const offered = [taken.port];
  try {
    worker = await startLocalWorker({}, undefined, {
      pickPort: async () => offered.shift() ?? freePort(),
    });
  } finally {
    taken.release();
  }
  expect(worker.url).not.toBe(`http://127.0.0.1:${taken.port}`);
  expect((await fetch(`${worker.url}/openapi.json`)).status).toBe(200);
}, 180_000);

describe("onFreshPort, the retry every local start shares", () => {
  /** Tries that answer with `outcomes` in turn, recording the ports they were given. */
  function tries(outcomes: PortTry<string>[]) {
    const ports: number[] = [];
    let next = 40_000;
    const attempt = async (port: number) => {
      ports.push(port);
      return outcomes.shift() ?? { failure: "no more outcomes" };
    };
    return { ports, attempt, pickPort: async () => next++ };
  }

  it("tries another port after wrangler's or npm start's words for a taken port", async () => {
    const { ports, attempt, pickPort } = tries([
      { failure: "listen EADDRINUSE: Address already in use 127.0.0.1:40000" },
      { failure: "npm start failed: 127.0.0.1:40001 is already in use. Set PORT=" },
      { value: "started" },
    ]);
    await expect(onFreshPort(attempt, pickPort)).resolves.toBe("started");
    expect(ports).toEqual([40_000, 40_001, 40_002]);
  });

  it("gives up after the third taken port, with what it printed", async () => {
    const taken = { failure: "Address already in use" };
    const { ports, attempt, pickPort } = tries([taken, taken, taken, { value: "never" }]);
    await expect(onFreshPort(attempt, pickPort)).rejects.toThrow("Address already in use");
    expect(ports).toHaveLength(3);
  });

  it("does not try again after any other failure", async () => {
    const { ports, attempt, pickPort } = tries([
      { failure: "migrations failed: no such table" },
      { value: "never" },
    ]);
    await expect(onFreshPort(attempt, pickPort)).rejects.toThrow("migrations failed");
    expect(ports).toEqual([40_000]);
  });
});
