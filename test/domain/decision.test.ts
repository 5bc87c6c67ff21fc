import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CreditScore } from "../../src/domain/credit-score";
import { type BorrowerPosition, decideLoan, scoreBand } from "../../src/domain/decision";
import { monthlyInstalmentPaise } from "../../src/domain/loan-terms";
import { propertyRuns } from "../support/property-seed";

function credit(score: number, currentLoansOverLimit = false): CreditScore {
  return { score, breakdown: [], currentLoansOverLimit };
}

const roomy: BorrowerPosition = {
  monthlySalaryPaise: 100_000_00,
  approvedLimitPaise: 3_600_000_00,
  currentLoansAmountPaise: 0,
  currentLoansEmiPaise: 0,
};
const request = { loanAmountPaise: 100_000_00, interestRateBp: 1000, tenure: 12 };

describe("score bands", () => {
  it.each([
    [100, true, null],
    [51, true, null],
    [50, true, 1200],
    [31, true, 1200],
    [30, true, 1600],
    [11, true, 1600],
    [10, false, null],
    [0, false, null],
  ])("score %d lends=%s floor=%s", (score, lends, floor) => {
    expect(scoreBand(score)).toEqual({ lends, rateFloorBp: floor });
  });
});

describe("decision", () => {
  it("approves at the requested rate above 50", () => {
    const decision = decideLoan(request, roomy, credit(51));
    expect(decision).toMatchObject({ approved: true, correctedInterestRateBp: 1000, reasons: [] });
    expect(decision.monthlyInstalmentPaise).toBe(monthlyInstalmentPaise(100_000_00, 1000, 12));
  });
  it("raises the rate to the band floor, and keeps a higher requested rate", () => {
    expect(decideLoan(request, roomy, credit(50)).correctedInterestRateBp).toBe(1200);
    expect(decideLoan(request, roomy, credit(30)).correctedInterestRateBp).toBe(1600);
    expect(
      decideLoan({ ...request, interestRateBp: 1850 }, roomy, credit(20)).correctedInterestRateBp,
    ).toBe(1850);
  });
  it("refuses at 10 and keeps the requested rate with its EMI", () => {
    const decision = decideLoan(request, roomy, credit(10));
    expect(decision.approved).toBe(false);
    expect(decision.correctedInterestRateBp).toBe(1000);
    expect(decision.reasons.map((r) => r.code)).toEqual(["CREDIT_SCORE_TOO_LOW"]);
    expect(decision.monthlyInstalmentPaise).toBe(monthlyInstalmentPaise(100_000_00, 1000, 12));
  });
  it("allows a loan landing exactly on the limit, refuses one paisa over", () => {
    const position = {
      ...roomy,
      approvedLimitPaise: 500_000_00,
      currentLoansAmountPaise: 400_000_00,
    };
    expect(decideLoan(request, position, credit(80)).approved).toBe(true);
    const over = decideLoan({ ...request, loanAmountPaise: 100_000_01 }, position, credit(80));
    expect(over.reasons.map((r) => r.code)).toEqual(["OVER_APPROVED_LIMIT"]);
  });
  it("counts the new EMI at the corrected rate against half the salary; exactly half is allowed", () => {
    const emiAtFloor = monthlyInstalmentPaise(request.loanAmountPaise, 1600, request.tenure);
    const exactlyHalf = {
      ...roomy,
      monthlySalaryPaise: 2 * (emiAtFloor + 5_000_00),
      currentLoansEmiPaise: 5_000_00,
    };
    expect(decideLoan(request, exactlyHalf, credit(20)).approved).toBe(true);
    const justOver = { ...exactlyHalf, monthlySalaryPaise: exactlyHalf.monthlySalaryPaise - 1 };
    const refused = decideLoan(request, justOver, credit(20));
    expect(refused.reasons.map((r) => r.code)).toEqual(["EMI_OVER_HALF_SALARY"]);
    expect(refused.reasons[0]?.message).toMatch(/half the monthly salary/);
  });
  it("judges half the salary on the exact EMI: ₹55,34,909 at 12 % for 9 months is ₹6,46,147.28", () => {
    const loan = { loanAmountPaise: 55_34_909_00, interestRateBp: 1200, tenure: 9 };
    const position = {
      ...roomy,
      monthlySalaryPaise: 2 * 6_46_147_28,
      approvedLimitPaise: 100_00_000_00,
    };
    const decision = decideLoan(loan, position, credit(80));
    expect(decision).toMatchObject({ approved: true, monthlyInstalmentPaise: 6_46_147_28 });
  });
  it("names amounts in its reasons exactly to the paisa, past ₹7 × 10^13 too", () => {
    // 8,000,000,000,000,001 paise: paise / 100 is the double 80000000000000.015625, which
    // toFixed(2) printed as ₹80000000000000.02. 80 loans at the recorded maximum reach it.
    const overLimit = decideLoan(
      request,
      { ...roomy, currentLoansAmountPaise: 8_000_000_000_000_001 },
      credit(60, true),
    );
    expect(overLimit.reasons[0]?.message).toBe(
      "The customer's current loans (₹80000000000000.01) already exceed the approved limit of ₹3600000.00.",
    );
    const overHalf = decideLoan(
      request,
      { ...roomy, currentLoansEmiPaise: 8_000_000_000_000_004 - 879_159 },
      credit(60),
    );
    expect(overHalf.reasons.at(-1)?.message).toBe(
      "Monthly instalments including this loan (₹80000000000000.04) would exceed half the monthly salary of ₹100000.00.",
    );
  });

  it("lists every reason that applies", () => {
    const broke = {
      monthlySalaryPaise: 1_000_00,
      approvedLimitPaise: 100_000_00,
      currentLoansAmountPaise: 200_000_00,
      currentLoansEmiPaise: 900_00,
    };
    const decision = decideLoan(request, broke, credit(0, true));
    expect(decision.reasons.map((r) => r.code)).toEqual([
      "CURRENT_LOANS_OVER_LIMIT",
      "CREDIT_SCORE_TOO_LOW",
      "OVER_APPROVED_LIMIT",
      "EMI_OVER_HALF_SALARY",
    ]);
    for (const reason of decision.reasons) expect(reason.message.length).toBeGreaterThan(20);
  });
  it("never corrects a rate downwards (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 10_000 }),
        (score, rateBp) => {
          const decision = decideLoan({ ...request, interestRateBp: rateBp }, roomy, credit(score));
          expect(decision.correctedInterestRateBp).toBeGreaterThanOrEqual(rateBp);
          expect(decision.approved).toBe(decision.reasons.length === 0);
        },
      ),
      propertyRuns("decision"),
    );
  });
});
