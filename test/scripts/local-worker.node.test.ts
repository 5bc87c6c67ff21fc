import { afterAll, expect, it } from "vitest";
import { freePort, type LocalWorker, startLocalWorker } from "../../scripts/lib/local-worker";
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
