/**
 * Milliseconds on the process's monotonic clock, for every elapsed time and timeout: the system
 * clock (`Date.now()`) jumps when it is set (an NTP step, `date -s`, a resumed VM), which
 * stretched or cut them by the step. Its zero is arbitrary: compare two readings, never store one.
 * `Date.now()` stays for instants that are stored or sent (expiries, `decided_at`, log times).
 */
export function monotonicNow(): number {
  return performance.now();
}
