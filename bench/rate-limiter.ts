/**
 * `npx tsx bench/rate-limiter.ts`: what the Node server's write rate limiter
 * (src/lib/security/rate-limit.ts) costs a write while many clients' windows are open, as in a
 * flood from rotating addresses. Prints microseconds per call at each number of open windows; a
 * flat line is the point (it used to grow with them past 10,000: docs/security.md). Then what
 * working out a caller's key from its address costs a write (src/lib/security/address-key.ts).
 *
 *   --calls N   calls timed at each size (default 5000)
 */
import { parseArgs } from "node:util";
import { addressKey } from "../src/lib/security/address-key";
import { MemoryRateLimiter } from "../src/lib/security/rate-limit";

const { values: args } = parseArgs({ options: { calls: { type: "string", default: "5000" } } });
const calls = Number(args.calls);
const address = (i: number) => `ip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

for (const open of [0, 10_000, 50_000, 100_000]) {
  let now = 0;
  const limiter = new MemoryRateLimiter(1000, 60_000, () => now);
  for (let i = 0; i < open; i++) await limiter.limit({ key: address(i) });
  const started = performance.now();
  for (let i = open; i < open + calls; i++) {
    now++;
    await limiter.limit({ key: address(i) });
  }
  const perCall = ((performance.now() - started) * 1000) / calls;
  console.log(`${open} windows open: ${perCall.toFixed(2)} µs a call`);
}

// The best of 25 rounds: the machine is shared, and the fastest round is the least disturbed.
// The keys' lengths are summed and printed so that no call can be optimised away.
let sink = 0;
for (const written of ["203.0.113.7", "::ffff:203.0.113.7", "2001:db8:1:2:abcd:ef01:2345:6789"]) {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 25; round++) {
    const started = performance.now();
    for (let i = 0; i < calls; i++) sink += addressKey(written).length;
    best = Math.min(best, ((performance.now() - started) * 1000) / calls);
  }
  console.log(`key of ${written}: ${best.toFixed(2)} µs a call`);
}
console.log(`(${sink} characters of keys)`);
