import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addMonths,
  canAddMonths,
  daysInMonth,
  monthlyDates,
  wholeMonthsBetween,
} from "../../src/domain/dates";
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

  it("refuses to write a date past 9999-12-31 or before 0000-01-01, instead of a 5-digit year", () => {
    // 9999-12-31 + 600 months was "10049-12-31", which sorts before "2026-…" as text.
    expect(() => addMonths("9999-12-31", 600)).toThrow(RangeError);
    expect(() => addMonths("9999-12-31", 1)).toThrow(/9999-12-31/);
    expect(() => monthlyDates("9999-12-31")(1)).toThrow(RangeError);
    expect(() => addMonths("0000-01-31", -1)).toThrow(RangeError);
    expect(addMonths("9949-12-31", 600)).toBe("9999-12-31");
    expect(addMonths("9999-11-30", 1)).toBe("9999-12-30");
    expect(addMonths("0000-02-29", -1)).toBe("0000-01-29");
  });

  it("says beforehand whether addMonths can write its date (canAddMonths)", () => {
    const anyDate = fc
      .record({
        year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 9900, max: 9999 })),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 28 }),
      })
      .map(
        ({ year, month, day }) =>
          `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
      );
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -1200, max: 1200 }), (start, months) => {
        let written: string | null = null;
        try {
          written = addMonths(start, months);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
        }
        expect(canAddMonths(start, months), `${start} + ${months}`).toBe(written !== null);
        if (written !== null) expect(written).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }),
      propertyRuns("can add months", 2000),
    );
  });
});
