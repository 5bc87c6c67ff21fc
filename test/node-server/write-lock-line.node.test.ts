import { afterEach, describe, expect, it, vi } from "vitest";
import { WriteLockLine } from "../../src/node/write-lock-line";

/*
 * The line a write waits in while another process holds the database's write lock
 * (src/node/write-lock-line.ts); test/node-server/lock-wait.node.test.ts holds a real lock.
 */

function busy(): Error {
  return Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
}

describe("a write waiting in line for the write lock", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("gives up after the busy timeout however the wall clock is set meanwhile", async () => {
    // An NTP step or `date -s` sets the system clock back while the write waits: the time it has
    // waited does not change, and its client is answered 503 once the busy timeout has passed.
    vi.useFakeTimers({ toFake: ["Date", "performance", "setTimeout", "clearTimeout"] });
    const line = new WriteLockLine({
      busyTimeoutMs: 5_000,
      tryBegin: () => false,
      run: (work) => work(),
    });
    const outcome = line
      .write(
        () => {
          throw busy();
        },
        () => "written",
      )
      .then(
        (value) => ({ value }),
        (error: Error) => ({ error: error.message }),
      );
    vi.setSystemTime(Date.now() - 60 * 60_000);
    await vi.advanceTimersByTimeAsync(5_100);
    line.close();
    expect(await outcome).toEqual({
      error: "database is locked (the write lock was not free for 5000 ms)",
    });
  });
});
