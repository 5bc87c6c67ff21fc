import { describe, expect, it } from "vitest";
import { REPLAYABLE_FOR_MS } from "../../console/src/replay-window";
import { IDEMPOTENCY_TTL_MS } from "../../src/db/idempotency";

/*
 * The console sends a request again under its key, as a replay, only while the API still keeps
 * the key's answer. Nothing ties its window to the API's at runtime (the console imports nothing
 * from src/db): shortened on the API alone, a payment refilled as "nothing new is paid" was paid twice.
 */
describe("the console's replay window", () => {
  it("ends at least an hour before the API forgets an Idempotency-Key", () => {
    expect(REPLAYABLE_FOR_MS).toBeGreaterThan(0);
    expect(IDEMPOTENCY_TTL_MS - REPLAYABLE_FOR_MS).toBeGreaterThanOrEqual(60 * 60 * 1000);
  });
});
