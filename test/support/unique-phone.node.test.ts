import { expect, it } from "vitest";
import { uniquePhone } from "./http";

// The route tests of a file share its database, where a phone number is unique: a repeat is a 409
// in a test that expects 201. Drawn at random, 100,000 phones held a repeat almost every time.
it("never gives the same phone number twice in a file", () => {
  const phones = Array.from({ length: 100_000 }, uniquePhone);
  expect(new Set(phones).size).toBe(phones.length);
  // Ten digits, as the lender's numbers, and clear of those tests name themselves (9_1… and up).
  expect(Math.min(...phones)).toBeGreaterThanOrEqual(9_000_000_000);
  expect(Math.max(...phones)).toBeLessThan(9_100_000_000);
});
