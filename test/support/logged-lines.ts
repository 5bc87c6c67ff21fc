/** The JSON lines a spied console method was called with (src/lib/log.ts writes one per call). */
export function loggedLines(spy: { mock: { calls: unknown[][] } }): Record<string, unknown>[] {
  return spy.mock.calls.map((call) => JSON.parse(String(call[0])));
}
