import { describe, expect, it } from "vitest";
import { approvedLimitPaise } from "../../src/domain/approved-limit";
import { addMonths, wholeMonthsBetween } from "../../src/domain/dates";
import {
  isCurrentLoan,
  loanEndDate,
  monthlyInstalmentPaise,
  repaymentsLeft,
} from "../../src/domain/loan-terms";
import { divideRoundHalfUp, hasAtMostTwoDecimals, paiseToRupees } from "../../src/domain/money";

describe("monthly instalment (EMI)", () => {
  it("matches the contract's check values (docs/product.md#definitions)", () => {
    expect(monthlyInstalmentPaise(100_000_00, 1200, 12)).toBe(8884_88);
    expect(monthlyInstalmentPaise(10_000_00, 500, 36)).toBe(299_71);
  });
  it("is principal / tenure at rate 0, rounded half-up", () => {
    expect(monthlyInstalmentPaise(1200_00, 0, 12)).toBe(100_00);
    expect(monthlyInstalmentPaise(1_00, 0, 8)).toBe(13); // 12.5 paise → 13
    expect(monthlyInstalmentPaise(100_00, 0, 3)).toBe(33_33);
  });
  it("prints as at most 2 decimals in JSON", () => {
    expect(JSON.stringify(paiseToRupees(monthlyInstalmentPaise(100_000_00, 1200, 12)))).toBe(
      "8884.88",
    );
  });
  it("stays finite at the extremes of the input ranges", () => {
    expect(Number.isSafeInteger(monthlyInstalmentPaise(1_000_000_000_00, 10_000, 600))).toBe(true);
    expect(monthlyInstalmentPaise(1, 1, 600)).toBe(0);
  });
});

describe("approved limit", () => {
  it.each([
    [12_500, 500_000],
    [47_000, 1_700_000],
    [50_000, 1_800_000],
    [1_000, 0],
    [4_166.67, 200_000], // 150,000.12 rounds half-up to 2 lakh
    [4_166.66, 100_000], // 149,999.76 rounds down
  ])("monthly income %d → %d", (income, limit) => {
    expect(approvedLimitPaise(Math.round(income * 100))).toBe(limit * 100);
  });
});

describe("end date", () => {
  it.each([
    ["2023-07-31", 1, "2023-08-31"],
    ["2024-01-31", 1, "2024-02-29"],
    ["2023-01-31", 1, "2023-02-28"],
    ["2023-03-15", 12, "2024-03-15"],
    ["2023-11-30", 3, "2024-02-29"],
    ["2024-02-29", 12, "2025-02-28"],
  ])("%s + %d months = %s", (start, months, end) => {
    expect(loanEndDate(start, months)).toBe(end);
    expect(addMonths(start, months)).toBe(end);
  });
});

describe("whole months between", () => {
  it.each([
    ["2024-01-31", "2024-02-28", 0],
    ["2024-01-31", "2024-02-29", 1],
    ["2024-01-15", "2024-01-14", 0],
    ["2024-01-15", "2025-01-15", 12],
    ["2024-01-15", "2025-01-14", 11],
  ])("%s → %s is %d", (from, to, months) => {
    expect(wholeMonthsBetween(from, to)).toBe(months);
  });
});

describe("loan status", () => {
  it("repayments left never drops below 0", () => {
    expect(repaymentsLeft(12, 4)).toBe(8);
    expect(repaymentsLeft(12, 15)).toBe(0);
  });
  it("a loan is current from its start date to its end date inclusive", () => {
    const loan = { startDate: "2024-01-10", endDate: "2024-07-10" };
    expect(isCurrentLoan(loan, "2024-01-09")).toBe(false);
    expect(isCurrentLoan(loan, "2024-01-10")).toBe(true);
    expect(isCurrentLoan(loan, "2024-07-10")).toBe(true);
    expect(isCurrentLoan(loan, "2024-07-11")).toBe(false);
  });
});

describe("money helpers", () => {
  it("knows 2-decimal numbers", () => {
    expect(hasAtMostTwoDecimals(8884.88)).toBe(true);
    expect(hasAtMostTwoDecimals(10)).toBe(true);
    expect(hasAtMostTwoDecimals(1.005)).toBe(false);
    expect(hasAtMostTwoDecimals(0.1 + 0.2)).toBe(false);
    expect(hasAtMostTwoDecimals(Number.NaN)).toBe(false);
  });
  it("rounds integer ratios half-up exactly", () => {
    expect(divideRoundHalfUp(5, 2)).toBe(3);
    expect(divideRoundHalfUp(7, 3)).toBe(2);
    expect(divideRoundHalfUp(0, 3)).toBe(0);
  });
});
