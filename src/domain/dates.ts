/*
 * Calendar arithmetic on ISO `YYYY-MM-DD` strings, in UTC, with no time of day involved.
 * Plain strings compare correctly (`"2024-01-31" < "2024-02-01"`), so no Date objects leak out.
 */

interface CalendarDate {
  year: number;
  month: number; // 1–12
  day: number;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseIsoDate(iso: string): CalendarDate {
  const match = ISO_DATE.exec(iso);
  if (!match) throw new RangeError(`not an ISO date: ${iso}`);
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  if (
    date.month < 1 ||
    date.month > 12 ||
    date.day < 1 ||
    date.day > daysInMonth(date.year, date.month)
  ) {
    throw new RangeError(`not a calendar date: ${iso}`);
  }
  return date;
}

/** Throws a RangeError naming `iso` unless it is a calendar date written YYYY-MM-DD. */
export function assertIsoDate(iso: string): void {
  parseIsoDate(iso);
}

export function isValidIsoDate(iso: string): boolean {
  try {
    parseIsoDate(iso);
    return true;
  } catch {
    return false;
  }
}

/**
 * The years YYYY-MM-DD can write. A later year takes a fifth digit ("10049-12-31"), which is no
 * ISO date and sorts before "2026-…" as text, so every comparison of dates as strings goes wrong.
 */
const FIRST_YEAR = 0;
const LAST_YEAR = 9999;

function formatIsoDate({ year, month, day }: CalendarDate): string {
  // Refused rather than written: a date that cannot be YYYY-MM-DD must not reach a comparison.
  if (year < FIRST_YEAR || year > LAST_YEAR) {
    throw new RangeError(
      `no YYYY-MM-DD date in year ${year}: dates run from 0000-01-01 to 9999-12-31`,
    );
  }
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The Gregorian calendar's rule, without a Date object (this runs several times per loan read). */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? Number.NaN);
}

/** Adds calendar months, clamping to the month's end: 2024-01-31 + 1 month = 2024-02-29. */
export function addMonths(iso: string, months: number): string {
  return monthsAfter(parseIsoDate(iso), months);
}

/**
 * Whether addMonths(iso, months) has a YYYY-MM-DD date (years 0000–9999), for checking input
 * before anything is computed from it: addMonths throws where this is false.
 */
export function canAddMonths(iso: string, months: number): boolean {
  const { year, month } = parseIsoDate(iso);
  const targetYear = Math.floor((year * 12 + (month - 1) + months) / 12);
  return targetYear >= FIRST_YEAR && targetYear <= LAST_YEAR;
}

/**
 * `addMonths(start, n)` for many n: the start date parsed once. A schedule asks for a date per
 * period, and parsing is most of the cost of each.
 */
export function monthlyDates(start: string): (months: number) => string {
  // Parsed at the first date asked for, as addMonths would: a schedule with no rows parses nothing.
  let from: CalendarDate | undefined;
  return (months) => {
    from ??= parseIsoDate(start);
    return monthsAfter(from, months);
  };
}

function monthsAfter({ year, month, day }: CalendarDate, months: number): string {
  const monthIndex = year * 12 + (month - 1) + months;
  const targetYear = Math.floor(monthIndex / 12);
  const targetMonth = (monthIndex % 12) + 1;
  return formatIsoDate({
    year: targetYear,
    month: targetMonth,
    day: Math.min(day, daysInMonth(targetYear, targetMonth)),
  });
}

/**
 * Whole months elapsed from `start` to `asOf`: the largest k with addMonths(start, k) <= asOf,
 * or 0 when asOf is before start. It is the number of monthly instalments due by asOf.
 */
export function wholeMonthsBetween(start: string, asOf: string): number {
  if (asOf < start) return 0;
  const from = parseIsoDate(start);
  const to = parseIsoDate(asOf);
  const months = (to.year - from.year) * 12 + (to.month - from.month);
  // addMonths(start, months) falls in asOf's month, on start's day clamped to that month's end;
  // when that day is after asOf's, one month fewer has elapsed (any earlier month is before asOf).
  const dayInAsOfMonth = Math.min(from.day, daysInMonth(to.year, to.month));
  return months > 0 && dayInAsOfMonth > to.day ? months - 1 : months;
}
