/*
 * Cell normalisation for workbook ingestion. exceljs hands back cells as numbers, strings, booleans,
 * Dates or wrapper objects (formula results, rich text, hyperlinks, errors); this module turns them
 * into plain values and converts them to the types the row schemas expect. Calendar rules come from
 * the domain, as the row schemas' do.
 */
import { isValidIsoDate } from "../../src/domain/dates";

/** A cell once exceljs's wrappers are removed. `problem` marks a cell that holds no usable value. */
export type CellValue = string | number | boolean | Date | null | { readonly problem: string };

/** The result of converting one cell: `null` value means the cell is empty. */
export type Converted<T> = { ok: true; value: T | null } | { ok: false; reason: string };

const MS_PER_DAY = 86_400_000;
/** Day 0 of the 1900 date system as every modern spreadsheet counts it (see `excelSerialToIsoDate`). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);
/** 9999-12-31, the last day Excel can show, in each date system. */
const LAST_SERIAL_1900 = 2_958_465;
const LAST_SERIAL_1904 = 2_957_003;
/** The serial Excel gives to 1900-02-29, a day that never existed (Lotus 1-2-3 compatibility). */
const FICTITIOUS_LEAP_DAY = 60;

const DECIMAL_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * Removes exceljs's wrappers: formulas (plain or shared) give their cached result, rich text its
 * joined text, hyperlinks their display text. Excel errors (`#N/A`, …) and shapes we cannot read
 * become a `problem`, so that no column silently accepts them as text.
 */
export function unwrapCell(raw: unknown): CellValue {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === "string" || typeof raw === "boolean" || raw instanceof Date) return raw;
  if (typeof raw === "number") {
    // exceljs parses a formula's error result (`#DIV/0!`) with parseFloat, which gives NaN.
    return Number.isNaN(raw) ? { problem: "cell holds an Excel error" } : raw;
  }
  if (!isRecord(raw)) return { problem: `unsupported cell value of type ${typeof raw}` };
  if ("error" in raw) return { problem: `cell holds the Excel error ${String(raw.error)}` };
  if ("formula" in raw || "sharedFormula" in raw) {
    if (!("result" in raw) || raw.result === undefined) {
      return { problem: "formula has no calculated result saved in the file" };
    }
    return unwrapCell(raw.result);
  }
  if (Array.isArray(raw.richText)) {
    return raw.richText
      .map((run) => (isRecord(run) && typeof run.text === "string" ? run.text : ""))
      .join("");
  }
  if ("text" in raw && "hyperlink" in raw) return unwrapCell(raw.text);
  if ("problem" in raw && typeof raw.problem === "string") return { problem: raw.problem };
  return { problem: "unsupported cell value" };
}

function isProblem(value: CellValue): value is { readonly problem: string } {
  return typeof value === "object" && value !== null && !(value instanceof Date);
}

/** True when a cell holds nothing a person would see: empty, or only whitespace. */
export function isBlankCell(raw: unknown): boolean {
  const value = unwrapCell(raw);
  return value === null || (typeof value === "string" && value.trim() === "");
}

function describe(value: CellValue): string {
  if (value instanceof Date) {
    const day = dateToIsoDate(value);
    if (day === null) return "an invalid date";
    return `a date (${value.getTime() % MS_PER_DAY === 0 ? day : value.toISOString()})`;
  }
  if (typeof value === "string") {
    return `text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  }
  if (typeof value === "boolean") return `a true/false value (${value ? "TRUE" : "FALSE"})`;
  return String(value);
}

/** A number, or text that is exactly a decimal number ("Number stored as text" in Excel). */
export function toNumber(raw: unknown): Converted<number> {
  const value = unwrapCell(raw);
  if (value === null) return { ok: true, value: null };
  if (isProblem(value)) return { ok: false, reason: value.problem };
  if (typeof value === "number") return { ok: true, value };
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return { ok: true, value: null };
    // Thousands separators are refused: "8,2" is 8.2 in half of Europe and 82 elsewhere.
    if (DECIMAL_NUMBER.test(text)) return { ok: true, value: Number(text) };
  }
  return { ok: false, reason: `expected a number, got ${describe(value)}` };
}

/** A number rounded half-up to 2 decimals: rupees with paise, or an interest rate. */
export function toRoundedNumber(raw: unknown): Converted<number> {
  const converted = toNumber(raw);
  if (!converted.ok || converted.value === null) return converted;
  return { ok: true, value: roundHalfUp(converted.value, 2) };
}

/** Text as written; numbers are not turned into text, so a shifted column shows up as an error. */
export function toText(raw: unknown): Converted<string> {
  const value = unwrapCell(raw);
  if (value === null) return { ok: true, value: null };
  if (typeof value === "string") return { ok: true, value: value.trim() === "" ? null : value };
  if (isProblem(value)) return { ok: false, reason: value.problem };
  return { ok: false, reason: `expected text, got ${describe(value)}` };
}

export interface DateSystem {
  /** The workbook counts days from 1904-01-01 (old Mac Excel) instead of 1900. */
  date1904?: boolean;
}

/**
 * An Excel date cell (a serial number), a JS Date (exceljs makes those at UTC midnight) or an ISO
 * `YYYY-MM-DD` string, as an ISO `YYYY-MM-DD` string.
 */
export function toIsoDate(raw: unknown, system: DateSystem = {}): Converted<string> {
  const value = unwrapCell(raw);
  if (value === null) return { ok: true, value: null };
  if (typeof value === "number") {
    const iso = excelSerialToIsoDate(value, system);
    return iso === null
      ? { ok: false, reason: `${value} is not a date serial Excel can show` }
      : { ok: true, value: iso };
  }
  if (value instanceof Date) {
    const iso = dateToIsoDate(value);
    return iso === null ? { ok: false, reason: "invalid date" } : { ok: true, value: iso };
  }
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return { ok: true, value: null };
    if (isValidIsoDate(text)) return { ok: true, value: text };
    return { ok: false, reason: `expected a date (YYYY-MM-DD), got ${describe(value)}` };
  }
  if (isProblem(value)) return { ok: false, reason: value.problem };
  return { ok: false, reason: `expected a date, got ${describe(value)}` };
}

/**
 * An ISO date cell's text: the date alone, or at midnight (`T00:00`, seconds and fractions of
 * zero, an optional `Z` or offset), which openpyxl and SheetJS write for a date.
 */
const ISO_DATE_CELL = /^(\d{4}-\d{2}-\d{2})(?:T00:00(?::00(?:\.0+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/**
 * The value of an ISO date cell (`t="d"`), given its text: a Date at UTC midnight, as exceljs
 * makes for a date, so each column converts or refuses it as any date. A time of day other than
 * midnight is refused, as in date text: it often is a local midnight written in UTC (18:30 the
 * day before, in India), and dropping it would keep the wrong day.
 */
export function isoDateCell(raw: unknown): CellValue {
  const value = unwrapCell(raw);
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (text === "") return null;
  const day = ISO_DATE_CELL.exec(text)?.[1];
  if (day !== undefined && isValidIsoDate(day)) return new Date(`${day}T00:00:00Z`);
  if (ISO_DATE_TIME.test(text)) {
    return {
      problem: `date cell holds a time of day (${text.slice(0, 40)}): save the date alone, as the time may have moved it to another day`,
    };
  }
  return { problem: `date cell holds ${describe(value)}, not a date written YYYY-MM-DD` };
}

/** The UTC calendar day of a Date (its time of day is dropped), or null for an invalid Date. */
function dateToIsoDate(date: Date): string | null {
  // Outside years 0–9999 toISOString writes a signed six-digit year, which is not YYYY-MM-DD.
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) return null;
  return date.toISOString().slice(0, 10);
}

/**
 * Converts an Excel date serial to `YYYY-MM-DD`; a fraction (time of day) is dropped.
 *
 * 1900 system: day 0 is 1899-12-30, which is right for every serial from 61 (1900-03-01) on.
 * Excel pretends 1900 was a leap year (serial 60 is 1900-02-29), so serials 1–59 show one day later
 * than that rule gives. We return what Excel shows: 1 → 1900-01-01 … 59 → 1900-02-28; serial 60
 * (a day that never existed) and serials below 1 (Excel shows "1900-01-00") are not dates → null.
 * 1904 system: day 0 is 1904-01-01, with no such quirk.
 */
export function excelSerialToIsoDate(serial: number, system: DateSystem = {}): string | null {
  if (!Number.isFinite(serial)) return null;
  const day = Math.floor(serial);
  if (system.date1904) {
    if (day < 0 || day > LAST_SERIAL_1904) return null;
    return dateToIsoDate(new Date(EPOCH_1904 + day * MS_PER_DAY));
  }
  if (day < 1 || day === FICTITIOUS_LEAP_DAY || day > LAST_SERIAL_1900) return null;
  const shownDay = day < FICTITIOUS_LEAP_DAY ? day + 1 : day;
  return dateToIsoDate(new Date(EPOCH_1900 + shownDay * MS_PER_DAY));
}

/** The inverse of `excelSerialToIsoDate` (1900 system), for writing workbooks; null before 1900. */
export function isoDateToExcelSerial(iso: string): number | null {
  if (!isValidIsoDate(iso)) return null;
  const days = Math.round((Date.parse(`${iso}T00:00:00Z`) - EPOCH_1900) / MS_PER_DAY);
  if (days < 2) return null;
  return days <= FICTITIOUS_LEAP_DAY ? days - 1 : days;
}

/** Decimals in the shortest decimal text of a number: 8.2 → 1, 1.005 → 3, 1e-7 → 7, 1500 → 0. */
export function decimalPlaces(value: number): number {
  if (!Number.isFinite(value)) return 0;
  const [digits = "", exponent = "0"] = Math.abs(value).toExponential().split("e");
  const fractionDigits = digits.split(".")[1]?.length ?? 0;
  return Math.max(0, fractionDigits - Number(exponent));
}

/**
 * Rounds half-up (half away from zero) to `decimals` places, working on the shortest decimal
 * text of the number rather than on `value * 100`: 1.005 is stored as 1.00499999…, and multiplying
 * would round it down, whereas the person who typed it meant 1.005 → 1.01. The shortest text also
 * drops binary noise, so 8.1999999999999993 → 8.2.
 */
export function roundHalfUp(value: number, decimals = 2): number {
  if (!Number.isFinite(value) || value === 0) return value === 0 ? 0 : value;
  // Most cells already have at most `decimals` places: such a value is the double nearest to
  // k / 10^decimals, which the text below would give back unchanged. Far cheaper to see.
  const factor = 10 ** decimals;
  if (Math.abs(value) < 1e12 && Math.round(value * factor) / factor === value) return value;
  const [digits = "0", exponent = "0"] = Math.abs(value).toExponential().split("e");
  const scaled = Number(`${digits}e${Number(exponent) + decimals}`);
  // Beyond 1e21 the number prints in exponent form and has no fractional digits left anyway.
  if (scaled >= 1e21) return value;
  const rounded = Number(`${Math.round(scaled)}e-${decimals}`);
  return rounded === 0 ? 0 : Math.sign(value) * rounded;
}
