import fc from "fast-check";
import { daysInMonth } from "../../src/domain/dates";

/*
 * The property tests' shared arbitraries: an ISO date (YYYY-MM-DD) clamped to its month, a loan's
 * amount and its rate, for the domain and the route files (workers-safe: fast-check and
 * src/domain only).
 */
export function isoDateBetween(
  fromYear: number,
  toYear: number,
  /** Month ends often: their due dates clamp (31 January → 28/29 February). */
  { monthEndsOften }: { monthEndsOften: boolean },
): fc.Arbitrary<string> {
  const anyDay = fc.integer({ min: 1, max: 31 });
  return fc
    .record({
      year: fc.integer({ min: fromYear, max: toYear }),
      month: fc.integer({ min: 1, max: 12 }),
      day: monthEndsOften ? fc.oneof(fc.integer({ min: 28, max: 31 }), anyDay) : anyDay,
    })
    .map(({ year, month, day }) => {
      const clamped = Math.min(day, daysInMonth(year, month));
      return `${year}-${String(month).padStart(2, "0")}-${String(clamped).padStart(2, "0")}`;
    });
}

/** Every amount the API books, ₹0.01 to ₹100 crore, small ones often: they round hardest. */
export const loanAmountPaise = fc.oneof(
  fc.integer({ min: 1, max: 1_000_00 }),
  fc.integer({ min: 1_000_00, max: 100_00_00_000_00 }),
);

/** 0–100 % a year, 0 often: its schedule divides differently. */
export const annualRateBp = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 }));
