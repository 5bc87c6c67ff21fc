import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryRateLimiter } from "../../src/lib/security/rate-limit";

/*
 * The Node server's write rate limiter under a flood from many client addresses (the cluster's
 * primary answers every worker's ask with it). Measured against `npm run serve` first: 60,000
 * writes from rotating loopback addresses cost the primary 60 s of CPU against 20 s from one
 * address, and a legitimate write waited 100–250 ms instead of 15–60. What a call costs as windows
 * pile up is measured by `npx tsx bench/rate-limiter.ts`, not timed here; these hold the bound.
 */

describe("MemoryRateLimiter with many clients", () => {
  it("holds at most maxClients windows: a new client then drops the oldest", async () => {
    const now = 0;
    const limiter = new MemoryRateLimiter(1, 60_000, () => now, 3);
    for (const key of ["a", "b", "c"]) await limiter.limit({ key });
    expect(await limiter.limit({ key: "a" })).toEqual({ success: false });
    // A fourth client within the window: "a" (the oldest) is forgotten and starts afresh.
    await limiter.limit({ key: "d" });
    expect(await limiter.limit({ key: "a" })).toEqual({ success: true });
    // "a" coming back dropped "b", the oldest left; "d" is still counted.
    expect(await limiter.limit({ key: "b" })).toEqual({ success: true });
    expect(await limiter.limit({ key: "d" })).toEqual({ success: false });
  });

  it("drops windows once they have passed and counts a returning client afresh", async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(1, 60_000, () => now, 2);
    await limiter.limit({ key: "a" });
    now = 30_000;
    await limiter.limit({ key: "b" });
    expect(await limiter.limit({ key: "b" })).toEqual({ success: false });
    now = 60_000;
    // "a" has expired: its window is dropped, not "b"'s, which still counts.
    await limiter.limit({ key: "c" });
    expect(await limiter.limit({ key: "b" })).toEqual({ success: false });
    expect(await limiter.limit({ key: "a" })).toEqual({ success: true });
  });
});

describe("MemoryRateLimiter's minute", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ends 60 s after it began however the wall clock is set meanwhile", async () => {
    // An NTP step, an operator's `date -s` or a resumed VM sets the system clock back while the
    // process runs; the time that passed does not change, and neither does the Retry-After given.
    vi.useFakeTimers({ toFake: ["Date", "performance"], now: Date.parse("2026-12-07T10:00:00Z") });
    const limiter = new MemoryRateLimiter(1);
    expect(await limiter.limit({ key: "a" })).toEqual({ success: true });
    expect(await limiter.limit({ key: "a" })).toEqual({ success: false });
    vi.setSystemTime(Date.parse("2026-12-07T09:00:00Z"));
    // The client waits the 60 s its 429 said.
    vi.advanceTimersByTime(60_000);
    expect(await limiter.limit({ key: "a" })).toEqual({ success: true });
  });
});
