import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addMonths, daysInMonth, monthlyDates, wholeMonthsBetween } from "../../src/domain/dates";
import { propertyRuns } from "../support/property-seed";

/*
 * The calendar arithmetic is pinned to its definitions: days in a month as JavaScript's own
 * proleptic Gregorian calendar counts them, and whole months as the largest k with
 * addMonths(start, k) <= asOf, found by walking month by month.
 */

const isoDate = fc
  .date({
    min: new Date("1900-01-01T00:00:00Z"),
    max: new Date("2200-12-31T00:00:00Z"),
    noInvalidDate: true,
  })
  .map((date) => date.toISOString().slice(0, 10));

function wholeMonthsByWalking(start: string, asOf: string): number {
  let months = 0;
  while (addMonths(start, months + 1) <= asOf) months++;
  return months;
}

describe("calendar arithmetic", () => {
  it("counts the days of every month as Date.UTC does (leap years of 1900, 2000, 2100)", () => {
    for (let year = 1890; year <= 2110; year++) {
      for (let month = 1; month <= 12; month++) {
        expect(daysInMonth(year, month), `${year}-${month}`).toBe(
          new Date(Date.UTC(year, month, 0)).getUTCDate(),
        );
      }
    }
  });

  it("counts whole months as the largest k with addMonths(start, k) <= asOf", () => {
    fc.assert(
      fc.property(
        isoDate,
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: -3, max: 3 }),
        (start, months, dayShift) => {
          // asOf near a month boundary of start: where clamping to a month's end matters.
          const boundary = addMonths(start, months);
          const shifted = new Date(`${boundary}T00:00:00Z`);
          shifted.setUTCDate(shifted.getUTCDate() + dayShift);
          const asOf = shifted.toISOString().slice(0, 10);
          const expected = asOf < start ? 0 : wholeMonthsByWalking(start, asOf);
          expect(wholeMonthsBetween(start, asOf)).toBe(expected);
        },
      ),
      propertyRuns("whole months between", 2000),
    );
  });

  it("adds months as Date.UTC counts them, clamped to the month's end, one date or a series", () => {
    fc.assert(
      fc.property(
        isoDate,
        fc.array(fc.integer({ min: -1200, max: 1200 }), { maxLength: 8 }),
        (start, offsets) => {
          const [year, month, day] = start.split("-").map(Number) as [number, number, number];
          const datesFromStart = monthlyDates(start);
          for (const months of offsets) {
            const firstOfMonth = new Date(Date.UTC(year, month - 1 + months, 1));
            const lastDay = new Date(
              Date.UTC(firstOfMonth.getUTCFullYear(), firstOfMonth.getUTCMonth() + 1, 0),
            ).getUTCDate();
            firstOfMonth.setUTCDate(Math.min(day, lastDay));
            const expected = firstOfMonth.toISOString().slice(0, 10);
            expect(addMonths(start, months), `${start} + ${months}`).toBe(expected);
            expect(datesFromStart(months), `${start} + ${months}`).toBe(expected);
          }
        },
      ),
      propertyRuns("add months", 2000),
    );
  });
});
