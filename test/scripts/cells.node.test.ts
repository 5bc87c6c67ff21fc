import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decimalPlaces,
  excelSerialToIsoDate,
  isBlankCell,
  isoDateCell,
  isoDateToExcelSerial,
  roundHalfUp,
  toIsoDate,
  toNumber,
  toRoundedNumber,
  toText,
  unwrapCell,
} from "../../scripts/lib/cells";
import { isValidIsoDate } from "../../src/domain/dates";
import { propertyRuns } from "../support/property-seed";

describe("Excel serial dates (1900 system)", () => {
  it.each([
    [42803, "2017-03-09"],
    [46730, "2027-12-09"],
    [45000, "2023-03-15"],
    [25569, "1970-01-01"],
    [61, "1900-03-01"],
    [2958465, "9999-12-31"],
  ])("serial %d is %s", (serial, iso) => {
    expect(excelSerialToIsoDate(serial)).toBe(iso);
  });

  it("shows serials below 60 as Excel does, one day after the 1899-12-30 rule", () => {
    expect(excelSerialToIsoDate(1)).toBe("1900-01-01");
    expect(excelSerialToIsoDate(31)).toBe("1900-01-31");
    expect(excelSerialToIsoDate(59)).toBe("1900-02-28");
  });

  it("refuses Excel's fictitious 1900-02-29, serial 0 and serials beyond 9999", () => {
    expect(excelSerialToIsoDate(60)).toBeNull();
    expect(excelSerialToIsoDate(0)).toBeNull();
    expect(excelSerialToIsoDate(-5)).toBeNull();
    expect(excelSerialToIsoDate(2958466)).toBeNull();
    expect(excelSerialToIsoDate(Number.NaN)).toBeNull();
  });

  it("drops the time of day of a fractional serial", () => {
    expect(excelSerialToIsoDate(42803.999)).toBe("2017-03-09");
  });

  it("counts from 1904-01-01 in the 1904 system", () => {
    expect(excelSerialToIsoDate(0, { date1904: true })).toBe("1904-01-01");
    expect(excelSerialToIsoDate(42803 - 1462, { date1904: true })).toBe("2017-03-09");
  });

  it("round-trips every serial Excel can show through ISO and back", () => {
    const serials = fc.oneof(
      fc.integer({ min: 1, max: 59 }),
      fc.integer({ min: 61, max: 2958465 }),
    );
    fc.assert(
      fc.property(serials, (serial) => {
        const iso = excelSerialToIsoDate(serial);
        expect(iso).not.toBeNull();
        expect(isoDateToExcelSerial(iso as string)).toBe(serial);
      }),
      propertyRuns("workbook cells"),
    );
  });

  it("agrees with the JavaScript calendar for every day from 1900-03-01", () => {
    fc.assert(
      fc.property(fc.integer({ min: 61, max: 2958465 }), (serial) => {
        const expected = new Date(Date.UTC(1900, 2, 1) + (serial - 61) * 86_400_000);
        expect(excelSerialToIsoDate(serial)).toBe(expected.toISOString().slice(0, 10));
      }),
      propertyRuns("workbook cells"),
    );
  });
});

describe("date cells", () => {
  it("converts serial numbers, UTC-midnight Dates and ISO strings to ISO dates", () => {
    expect(toIsoDate(42803)).toEqual({ ok: true, value: "2017-03-09" });
    expect(toIsoDate(new Date(Date.UTC(2027, 11, 9)))).toEqual({ ok: true, value: "2027-12-09" });
    expect(toIsoDate(" 2024-02-29 ")).toEqual({ ok: true, value: "2024-02-29" });
    expect(toIsoDate({ formula: "A1+1", result: 42804 })).toEqual({
      ok: true,
      value: "2017-03-10",
    });
  });

  it("treats an empty cell as no value, not as an error", () => {
    expect(toIsoDate(null)).toEqual({ ok: true, value: null });
    expect(toIsoDate("   ")).toEqual({ ok: true, value: null });
  });

  it("rejects dates that do not exist or are not ISO", () => {
    for (const text of ["2023-02-29", "2023-13-01", "2023-04-31", "09/03/2017", "2017-3-9"]) {
      const result = toIsoDate(text);
      expect(result.ok, text).toBe(false);
      if (!result.ok) expect(result.reason).toContain(text);
    }
    expect(toIsoDate(60).ok).toBe(false);
    expect(toIsoDate(new Date(Number.NaN)).ok).toBe(false);
    expect(toIsoDate(true).ok).toBe(false);
  });

  it("knows leap years", () => {
    expect(isValidIsoDate("2000-02-29")).toBe(true);
    expect(isValidIsoDate("2100-02-29")).toBe(false);
    expect(isValidIsoDate("0099-12-31")).toBe(true);
  });
});

describe('ISO date cells (t="d")', () => {
  const midnight = (iso: string) => new Date(`${iso}T00:00:00Z`);

  it("reads the date alone or at a midnight written in any precision, zone or offset", () => {
    for (const text of [
      "2023-03-15",
      " 2023-03-15 ",
      "2023-03-15T00:00",
      "2023-03-15T00:00:00",
      "2023-03-15T00:00:00.000Z",
      "2023-03-15T00:00:00+05:30",
      "2023-03-15T00:00:00-0800",
    ]) {
      expect(isoDateCell(text), text).toEqual(midnight("2023-03-15"));
    }
    expect(isoDateCell({ formula: "TODAY()", result: "2024-02-29" })).toEqual(
      midnight("2024-02-29"),
    );
  });

  it("gives a Date each column converts as a date: a date column's day, a number column's refusal", () => {
    expect(toIsoDate(isoDateCell("1999-12-31T00:00:00"))).toEqual({
      ok: true,
      value: "1999-12-31",
    });
    expect(toNumber(isoDateCell("2023-03-15"))).toEqual({
      ok: false,
      reason: "expected a number, got a date (2023-03-15)",
    });
  });

  it("treats an empty date cell as an empty cell", () => {
    expect(isoDateCell("")).toBeNull();
    expect(isoDateCell("  ")).toBeNull();
    expect(isoDateCell(null)).toBeNull();
  });

  it("refuses a time of day, a day that does not exist and anything else, saying what it holds", () => {
    expect(isoDateCell("2023-03-14T18:30:00.000Z")).toEqual({
      problem: expect.stringContaining("time of day (2023-03-14T18:30:00.000Z)"),
    });
    expect(isoDateCell("2023-03-15T00:00:01")).toEqual({
      problem: expect.stringContaining("time of day"),
    });
    for (const text of ["2023-02-29", "15/03/2023", "2023", "2023-03-15 00:00:00", "45000"]) {
      expect(isoDateCell(text), text).toEqual({ problem: expect.stringContaining(`"${text}"`) });
    }
    expect(isoDateCell({ error: "#VALUE!" })).toEqual({
      problem: expect.stringContaining("#VALUE!"),
    });
  });
});

describe("unwrapping exceljs cell values", () => {
  it("takes the cached result of formulas and shared formulas", () => {
    expect(unwrapCell({ formula: "B2*2", result: 8.2 })).toBe(8.2);
    expect(unwrapCell({ sharedFormula: "C2", result: "Garcia" })).toBe("Garcia");
  });

  it("joins rich text runs and takes a hyperlink's text", () => {
    expect(unwrapCell({ richText: [{ text: "Aa" }, { font: { bold: true }, text: "ron" }] })).toBe(
      "Aaron",
    );
    expect(unwrapCell({ text: "Garcia", hyperlink: "mailto:g@example.com" })).toBe("Garcia");
  });

  it("marks Excel errors and formulas without a result as problems", () => {
    expect(unwrapCell({ error: "#N/A" })).toEqual({ problem: expect.stringContaining("#N/A") });
    expect(unwrapCell({ formula: "1/0", result: { error: "#DIV/0!" } })).toEqual({
      problem: expect.stringContaining("#DIV/0!"),
    });
    expect(unwrapCell({ formula: "A1" })).toEqual({
      problem: expect.stringContaining("no calculated"),
    });
    expect(unwrapCell(Number.NaN)).toEqual({ problem: expect.any(String) });
  });

  it("sees empty and whitespace-only cells as blank", () => {
    expect(isBlankCell(null)).toBe(true);
    expect(isBlankCell(undefined)).toBe(true);
    expect(isBlankCell("  \t")).toBe(true);
    expect(isBlankCell({ richText: [{ text: " " }] })).toBe(true);
    expect(isBlankCell(0)).toBe(false);
    expect(isBlankCell(false)).toBe(false);
  });
});

describe("number and text cells", () => {
  it("accepts numbers and numbers stored as text", () => {
    expect(toNumber(9629317944)).toEqual({ ok: true, value: 9629317944 });
    expect(toNumber(" 42 ")).toEqual({ ok: true, value: 42 });
    expect(toNumber({ formula: "A1", result: 7 })).toEqual({ ok: true, value: 7 });
  });

  it("refuses text that is not a plain number, booleans and dates", () => {
    for (const raw of ["abc", "1,000", "12%", true, new Date(0)]) {
      const result = toNumber(raw);
      expect(result.ok, String(raw)).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/^expected a number, got /);
    }
  });

  it("rounds money and rates half-up to 2 decimals", () => {
    expect(toRoundedNumber(8.1999999999999993)).toEqual({ ok: true, value: 8.2 });
    expect(toRoundedNumber("1.005")).toEqual({ ok: true, value: 1.01 });
  });

  it("keeps text as written and refuses numbers where text is expected", () => {
    expect(toText(" Aaron ")).toEqual({ ok: true, value: " Aaron " });
    expect(toText({ richText: [{ text: "Ab" }, { text: "bey" }] })).toEqual({
      ok: true,
      value: "Abbey",
    });
    expect(toText(42)).toEqual({ ok: false, reason: "expected text, got 42" });
    expect(toText({ error: "#REF!" }).ok).toBe(false);
  });
});

describe("roundHalfUp", () => {
  it.each([
    [1.005, 1.01],
    [8.1999999999999993, 8.2],
    [2.675, 2.68],
    [0.125, 0.13],
    [1.004, 1],
    [-1.005, -1.01],
    [15344, 15344],
    [123456789.125, 123456789.13],
  ])("%d → %d", (value, expected) => {
    expect(roundHalfUp(value)).toBe(expected);
  });

  it("never returns negative zero", () => {
    expect(Object.is(roundHalfUp(-0.001), 0)).toBe(true);
  });

  it("leaves at most 2 decimals and moves a value by at most half a paisa", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (value) => {
        const rounded = roundHalfUp(value);
        expect(decimalPlaces(rounded)).toBeLessThanOrEqual(2);
        expect(Math.abs(rounded - value)).toBeLessThanOrEqual(0.005 + Math.abs(value) * 1e-15);
      }),
      propertyRuns("workbook cells"),
    );
  });

  it("gives what rounding the shortest decimal text gives, fast path or not", () => {
    // The rule as the text states it, without the shortcut for values already on the grid.
    const byText = (value: number) => {
      const [digits = "0", exponent = "0"] = Math.abs(value).toExponential().split("e");
      const scaled = Number(`${digits}e${Number(exponent) + 2}`);
      if (scaled >= 1e21) return value;
      const rounded = Number(`${Math.round(scaled)}e-2`);
      return rounded === 0 ? 0 : Math.sign(value) * rounded;
    };
    const value = fc.oneof(
      fc.double({ min: -1e13, max: 1e13, noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -1e14, max: 1e14 }).map((paise) => paise / 100),
      fc.integer({ min: -1e15, max: 1e15 }).map((tenths) => tenths / 1000),
    );
    fc.assert(
      fc.property(value, (v) => {
        expect(roundHalfUp(v)).toBe(v === 0 ? 0 : byText(v));
      }),
      propertyRuns("workbook cells", 1000),
    );
  });

  it("is idempotent on values that already have 2 decimals", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (paise) => {
        const value = paise / 100;
        expect(roundHalfUp(value)).toBe(value);
      }),
      propertyRuns("workbook cells"),
    );
  });
});

describe("decimalPlaces", () => {
  it("counts the decimals a person would write", () => {
    expect(decimalPlaces(8.2)).toBe(1);
    expect(decimalPlaces(1.005)).toBe(3);
    expect(decimalPlaces(1e-7)).toBe(7);
    expect(decimalPlaces(1500)).toBe(0);
    expect(decimalPlaces(1e21)).toBe(0);
  });
});
