import fc from "fast-check";
import { daysInMonth } from "../../src/domain/dates";

/*
 * An ISO date (YYYY-MM-DD) for the property tests, clamped to its month, shared by the domain and
 * route files (workers-safe: fast-check and src/domain only).
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
