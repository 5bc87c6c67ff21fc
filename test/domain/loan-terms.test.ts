import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { approvedLimitPaise } from "../../src/domain/approved-limit";
import { addMonths, wholeMonthsBetween } from "../../src/domain/dates";
import { isCurrentLoan, loanEndDate, monthlyInstalmentPaise } from "../../src/domain/loan-terms";
import {
  divideRoundHalfUp,
  hasAtMostTwoDecimals,
  paiseToRupees,
  rupeesToPaise,
} from "../../src/domain/money";
import { propertyRuns } from "../support/property-seed";

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
  it("answers without throwing for the out-of-range terms a schema's refine sees before refusing", () => {
    expect(monthlyInstalmentPaise(1e302, 1, 12)).toBeGreaterThan(0);
    expect(monthlyInstalmentPaise(1_000_00, 1, 1_000_000_000)).toBeGreaterThanOrEqual(0);
    expect(monthlyInstalmentPaise(1_000_00, -1, 12)).toBeGreaterThan(0);
    expect(monthlyInstalmentPaise(1_000_00, 1, 0)).toBe(Number.POSITIVE_INFINITY);
  });
  it("stays finite at the extremes of the input ranges", () => {
    expect(Number.isSafeInteger(monthlyInstalmentPaise(1_000_000_000_00, 10_000, 600))).toBe(true);
    expect(monthlyInstalmentPaise(1, 1, 600)).toBe(0);
  });
});

/*
 * With r = bp / 120,000 the EMI is exactly N / D, N = P·bp·A^n, D = 120,000·(A^n − B^n),
 * A = 120,000 + bp, B = 120,000. R is that ratio rounded half-up exactly when
 * R − 1/2 ≤ N / D < R + 1/2, checked here in BigInt without dividing.
 */
function isExactEmi(emiPaise: number, principalPaise: number, rateBp: number, tenure: number) {
  const growth = BigInt(120_000 + rateBp) ** BigInt(tenure);
  const twiceN = 2n * BigInt(principalPaise) * BigInt(rateBp) * growth;
  const d = 120_000n * (growth - 120_000n ** BigInt(tenure));
  const twiceR = 2n * BigInt(emiPaise);
  return (twiceR - 1n) * d <= twiceN && twiceN < (twiceR + 1n) * d;
}

const MAX_PRINCIPAL_PAISE = 1_000_000_000_00;
const principalPaise = fc.oneof(
  fc.integer({ min: 1, max: MAX_PRINCIPAL_PAISE }),
  fc.integer({ min: MAX_PRINCIPAL_PAISE / 10, max: MAX_PRINCIPAL_PAISE }),
  fc.integer({ min: 1, max: 10_000_000_00 }),
);
const rateBp = fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 50 }));
const tenure = fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 12 }));

describe("EMI is the formula's exact value rounded half-up", () => {
  it.each([
    // ₹6,46,147.2849999656…: trimming the float to 13 digits made it .285 and rounded it up.
    [55_34_909_00, 1200, 9, 6_46_147_28],
    // ₹90,00,07,500.00 exactly: (1 + r) − 1 loses digits of r at 0.01 %, giving ….99.
    [90_00_00_000_00, 1, 1, 90_00_07_500_00],
    // ₹56,79,04,365.875 exactly, half a paisa: rounds up to .88.
    [56_78_05_000_00, 21, 1, 56_79_04_365_88],
    // ₹3,39,68,737.2649965…: .26, not .27.
    [31_31_83_000_00, 1806, 10, 3_39_68_737_26],
  ])("%d paise at %d bp for %d months → %d paise", (principal, bp, months, emi) => {
    expect(monthlyInstalmentPaise(principal, bp, months)).toBe(emi);
    expect(isExactEmi(emi, principal, bp, months)).toBe(true);
  });

  it("over every accepted amount (to ₹100 crore), rate (0.01–100 %) and tenure (1–600)", () => {
    fc.assert(
      fc.property(principalPaise, rateBp, tenure, (principal, bp, months) => {
        const emi = monthlyInstalmentPaise(principal, bp, months);
        expect(isExactEmi(emi, principal, bp, months), `${principal}, ${bp}, ${months}`).toBe(true);
      }),
      propertyRuns("exact EMI", 3000),
    );
  });

  it("on large amounts at tiny rates, where (1 + r)^n − 1 loses the most digits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_PRINCIPAL_PAISE / 100, max: MAX_PRINCIPAL_PAISE }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 24 }),
        (principal, bp, months) => {
          const emi = monthlyInstalmentPaise(principal, bp, months);
          expect(isExactEmi(emi, principal, bp, months), `${principal}, ${bp}, ${months}`).toBe(
            true,
          );
        },
      ),
      propertyRuns("exact EMI at tiny rates", 1000),
    );
  });

  it("at and beside exact half paise (one month: P·A / 120,000), where the float cannot decide", () => {
    // P·A / 120,000 is k + 1/2 when P = (60,000 / g)·j, j odd, g = gcd(A, 60,000), A / g odd;
    // P ± d moves it by d·bp / 120,000 of a paisa, far less than the float's error when bp is small.
    const tie = fc
      .record({
        bp: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 40 })),
        j: fc.integer({ min: 0, max: 5_000_000 }),
        d: fc.integer({ min: -2, max: 2 }),
      })
      .map(({ bp, j, d }) => {
        const g = gcd(120_000 + bp, 60_000);
        const step = 60_000 / g;
        const odd = 2 * (j % Math.floor(MAX_PRINCIPAL_PAISE / step / 2)) + 1;
        return {
          bp,
          principal: Math.min(MAX_PRINCIPAL_PAISE, Math.max(1, step * odd + d)),
          isTie: d === 0 && step * odd <= MAX_PRINCIPAL_PAISE,
        };
      })
      .filter(({ bp }) => ((120_000 + bp) / gcd(120_000 + bp, 60_000)) % 2 === 1);
    fc.assert(
      fc.property(tie, ({ bp, principal, isTie }) => {
        const emi = monthlyInstalmentPaise(principal, bp, 1);
        expect(isExactEmi(emi, principal, bp, 1), `${principal}, ${bp}`).toBe(true);
        if (isTie) {
          expect(2n * BigInt(principal) * BigInt(120_000 + bp)).toBe(
            BigInt(2 * emi - 1) * 120_000n,
          );
        }
      }),
      propertyRuns("exact EMI at half paise", 2000),
    );
  });
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

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
  it("takes every amount written with at most 2 decimals as exactly its paise, and refuses a third (property)", () => {
    // Up to the largest figure any path takes (a recorded ₹10^12, in paise): JSON.parse gives the
    // double nearest the text, and the check and the conversion must read it back exactly.
    const written = (units: bigint, places: number) => {
      const digits = units.toString().padStart(places + 1, "0");
      return `${digits.slice(0, -places)}.${digits.slice(-places)}`;
    };
    const maxPaise = 10n ** 14n;
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: maxPaise }), (paise) => {
        const rupees: number = JSON.parse(written(paise, 2));
        expect(hasAtMostTwoDecimals(rupees)).toBe(true);
        expect(rupeesToPaise(rupees)).toBe(Number(paise));
        expect(paiseToRupees(Number(paise))).toBe(rupees);
      }),
      propertyRuns("money: two decimals"),
    );
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: maxPaise * 10n }).filter((mills) => mills % 10n !== 0n),
        (mills) => {
          expect(hasAtMostTwoDecimals(JSON.parse(written(mills, 3)))).toBe(false);
        },
      ),
      propertyRuns("money: a third decimal"),
    );
  });

  it("rounds integer ratios half-up exactly", () => {
    expect(divideRoundHalfUp(5, 2)).toBe(3);
    expect(divideRoundHalfUp(7, 3)).toBe(2);
    expect(divideRoundHalfUp(0, 3)).toBe(0);
  });
});
