import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeCreditScore, type ScoredLoan } from "../../src/domain/credit-score";
import { propertyRuns } from "../support/property-seed";

const AS_OF = "2025-06-15";
const LIMIT = 1_000_000_00;

function loan(overrides: Partial<ScoredLoan> = {}): ScoredLoan {
  return {
    loanAmountPaise: 100_000_00,
    tenure: 12,
    emisPaidOnTime: 12,
    startDate: "2022-01-10",
    endDate: "2023-01-10",
    ...overrides,
  };
}

describe("credit score", () => {
  it("gives a customer with no history 40 points, above the refusal line of 10", () => {
    const credit = computeCreditScore([], LIMIT, AS_OF);
    expect(credit.score).toBe(40);
    expect(credit.breakdown.map((c) => [c.component, c.points])).toEqual([
      ["on_time_repayment", 20],
      ["loan_history", 0],
      ["current_year_activity", 20],
      ["approved_volume", 0],
    ]);
  });

  it("reproduces the worked example in docs/credit-score.md", () => {
    const loans = [
      loan({
        loanAmountPaise: 200_000_00,
        tenure: 12,
        emisPaidOnTime: 10,
        startDate: "2023-03-01",
        endDate: "2024-03-01",
      }),
      loan({
        loanAmountPaise: 300_000_00,
        tenure: 24,
        emisPaidOnTime: 6,
        startDate: "2024-12-01",
        endDate: "2026-12-01",
      }),
      loan({
        loanAmountPaise: 100_000_00,
        tenure: 6,
        emisPaidOnTime: 0,
        startDate: "2025-02-20",
        endDate: "2025-08-20",
      }),
    ];
    const credit = computeCreditScore(loans, 1_800_000_00, AS_OF);
    // due: 12 + 6 + 3 = 21; on time: 10 + 6 + 0 = 16 → 40·16/21 = 30.48 → 30
    // history: 3 loans → 12; this year: 1 → 15; volume 6 lakh / 18 lakh → 6.67 → 7
    expect(credit.breakdown.map((c) => c.points)).toEqual([30, 12, 15, 7]);
    expect(credit.score).toBe(64);
  });

  it("ignores loans that start after the as-of date", () => {
    const future = loan({ startDate: "2025-07-01", endDate: "2026-07-01", emisPaidOnTime: 0 });
    expect(computeCreditScore([future], LIMIT, AS_OF).score).toBe(40);
  });

  it("counts no instalment of a repaid loan after it closed, and still those it paid ahead", () => {
    // Paid off on its first day: four months have passed since, none of them owed anything.
    const repaid = loan({
      startDate: "2025-01-31",
      endDate: "2026-01-31",
      emisPaidOnTime: 1,
      closedOn: "2025-01-31",
    });
    expect(computeCreditScore([repaid], LIMIT, AS_OF).breakdown[0]).toMatchObject({
      points: 40,
      inputs: { emis_due: 1, emis_paid_on_time: 1 },
    });
    // Three instalments paid on time by 2025-03-15, then the payoff: three months due, not five.
    const paidAhead = { ...repaid, emisPaidOnTime: 3, closedOn: "2025-03-15" };
    expect(computeCreditScore([paidAhead], LIMIT, AS_OF).breakdown[0]).toMatchObject({
      inputs: { emis_due: 3, emis_paid_on_time: 3 },
    });
    // Repaid in full, late, on 2025-03-15 (period 1 fell due on 2025-02-28): one month due, missed.
    const late = { ...repaid, emisPaidOnTime: 0, closedOn: "2025-03-15" };
    expect(computeCreditScore([late], LIMIT, AS_OF).breakdown[0]).toMatchObject({
      inputs: { emis_due: 1, emis_paid_on_time: 0 },
    });
  });

  it("does not count an instalment as missed on its due date, while it can still be paid on time", () => {
    // Booked 2025-05-15: period 1 falls due on the as-of date, 2025-06-15.
    const firstDueToday = loan({
      startDate: "2025-05-15",
      endDate: "2026-05-15",
      emisPaidOnTime: 0,
    });
    expect(computeCreditScore([firstDueToday], LIMIT, AS_OF).breakdown[0]).toMatchObject({
      points: 20,
      inputs: { emis_due: 0, emis_paid_on_time: 0 },
    });
    // Paid today, on time: it counts at once.
    const paidToday = { ...firstDueToday, emisPaidOnTime: 1 };
    expect(computeCreditScore([paidToday], LIMIT, AS_OF).breakdown[0]).toMatchObject({
      points: 40,
      inputs: { emis_due: 1, emis_paid_on_time: 1 },
    });
    // Unpaid the day after, it is missed.
    expect(computeCreditScore([firstDueToday], LIMIT, "2025-06-16").breakdown[0]).toMatchObject({
      points: 0,
      inputs: { emis_due: 1, emis_paid_on_time: 0 },
    });
    // Period 1 paid, period 2 due today and not yet paid: one due, one on time.
    const secondDueToday = loan({
      startDate: "2025-04-15",
      endDate: "2026-04-15",
      emisPaidOnTime: 1,
    });
    expect(computeCreditScore([secondDueToday], LIMIT, AS_OF).breakdown[0]).toMatchObject({
      points: 40,
      inputs: { emis_due: 1, emis_paid_on_time: 1 },
    });
    // Repaid in full on 2025-03-31, period 2's due date, with period 1 (due 2025-02-28) unpaid: the
    // payoff settled period 1 late and closed the loan, so period 2 never fell due.
    const paidOffOnDueDate = loan({
      startDate: "2025-01-31",
      endDate: "2026-01-31",
      emisPaidOnTime: 0,
      closedOn: "2025-03-31",
    });
    expect(computeCreditScore([paidOffOnDueDate], LIMIT, AS_OF).breakdown[0]).toMatchObject({
      inputs: { emis_due: 1, emis_paid_on_time: 0 },
    });
  });

  it("tells a late instalment from an unpaid one by the periods settled, not the on-time count", () => {
    // Booked 2025-05-15: period 1 (due 06-15) paid late, period 2 paid on 07-15, its due date.
    const lateThenOnTime = loan({
      startDate: "2025-05-15",
      endDate: "2026-05-15",
      emisPaidOnTime: 1,
      periodsSettled: 2,
    });
    // The on-time count alone (1 of the 2 due by then) read as "period 2 unpaid, period 1 on time".
    expect(computeCreditScore([lateThenOnTime], LIMIT, "2025-07-15").breakdown[0]).toMatchObject({
      inputs: { emis_due: 2, emis_paid_on_time: 1 },
    });
    // Repaid in full on 07-15 instead: the late period 1 stays missed on every later day.
    const paidOff = { ...lateThenOnTime, closedOn: "2025-07-15" };
    expect(computeCreditScore([paidOff], LIMIT, "2025-12-01").breakdown[0]).toMatchObject({
      inputs: { emis_due: 2, emis_paid_on_time: 1 },
    });
    // Period 1 on time and period 2 due today, unpaid: not missed yet.
    const unpaidToday = { ...lateThenOnTime, periodsSettled: 1 };
    expect(computeCreditScore([unpaidToday], LIMIT, "2025-07-15").breakdown[0]).toMatchObject({
      points: 40,
      inputs: { emis_due: 1, emis_paid_on_time: 1 },
    });
  });

  it("zeroes the score when current loans exceed the approved limit, and says so", () => {
    const current = loan({
      loanAmountPaise: LIMIT + 1,
      startDate: "2025-01-01",
      endDate: "2026-01-01",
      emisPaidOnTime: 5,
    });
    const credit = computeCreditScore([current], LIMIT, AS_OF);
    expect(credit.score).toBe(0);
    expect(credit.currentLoansOverLimit).toBe(true);
    const total = credit.breakdown.reduce((sum, c) => sum + c.points, 0);
    expect(total).toBe(0);
    expect(credit.breakdown.at(-1)?.component).toBe("current_loans_over_limit");
  });

  it("allows current loans exactly at the limit", () => {
    const current = loan({
      loanAmountPaise: LIMIT,
      startDate: "2025-01-01",
      endDate: "2026-01-01",
      emisPaidOnTime: 5,
    });
    expect(computeCreditScore([current], LIMIT, AS_OF).currentLoansOverLimit).toBe(false);
  });

  const arbitraryLoan = fc
    .record({
      loanAmountPaise: fc.integer({ min: 1, max: 50_000_000_00 }),
      tenure: fc.integer({ min: 1, max: 240 }),
      emisPaidOnTime: fc.integer({ min: 0, max: 240 }),
      startDate: fc
        .date({ min: new Date("2010-01-01"), max: new Date("2026-12-31"), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
      months: fc.integer({ min: 1, max: 240 }),
    })
    .map(({ months: _months, ...rest }) => ({
      ...rest,
      endDate: addYears(rest.startDate, Math.ceil(rest.tenure / 12)),
    }));

  it("is an integer from 0 to 100 whose breakdown adds up to it (property)", () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryLoan, { maxLength: 12 }),
        fc.integer({ min: 0, max: 100_000_000_00 }),
        (loans, limit) => {
          const credit = computeCreditScore(loans, limit, AS_OF);
          expect(Number.isInteger(credit.score)).toBe(true);
          expect(credit.score).toBeGreaterThanOrEqual(0);
          expect(credit.score).toBeLessThanOrEqual(100);
          expect(credit.breakdown.reduce((sum, c) => sum + c.points, 0)).toBe(credit.score);
        },
      ),
      propertyRuns("credit score"),
    );
  });

  it("explains every point it withholds: the points lost add up to 100 − score (property)", () => {
    // A refusal letter's score factors are these losses (principal-reasons.ts keeps the worst four):
    // each component's max_points − points, and what the override took, which is minus its points.
    fc.assert(
      fc.property(
        fc.array(arbitraryLoan, { maxLength: 12 }),
        fc.integer({ min: 0, max: 100_000_000_00 }),
        (loans, limit) => {
          const { score, breakdown } = computeCreditScore(loans, limit, AS_OF);
          const lost = breakdown.map((part) =>
            part.max_points > 0 ? part.max_points - part.points : -part.points,
          );
          expect(lost.every((points) => points >= 0)).toBe(true);
          expect(lost.reduce((sum, points) => sum + points, 0)).toBe(100 - score);
        },
      ),
      propertyRuns("credit score: points lost"),
    );
  });

  it("never drops when one more EMI is paid on time (property)", () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryLoan, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 0, max: 100_000_000_00 }),
        (loans, pick, limit) => {
          const index = pick % loans.length;
          const better = loans.map((l, i) =>
            i === index ? { ...l, emisPaidOnTime: l.emisPaidOnTime + 1 } : l,
          );
          expect(computeCreditScore(better, limit, AS_OF).score).toBeGreaterThanOrEqual(
            computeCreditScore(loans, limit, AS_OF).score,
          );
        },
      ),
      propertyRuns("credit score"),
    );
  });

  it("never drops when a loan is repaid (property)", () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryLoan, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 100_000_000_00 }),
        (loans, pick, closeAfterDays, limit) => {
          const index = pick % loans.length;
          const chosen = loans[index] as ScoredLoan;
          const closedOn = shiftDays(chosen.startDate, closeAfterDays);
          fc.pre(closedOn <= AS_OF);
          const repaid = loans.map((l, i) => (i === index ? { ...l, closedOn } : l));
          expect(computeCreditScore(repaid, limit, AS_OF).score).toBeGreaterThanOrEqual(
            computeCreditScore(loans, limit, AS_OF).score,
          );
        },
      ),
      propertyRuns("credit score"),
    );
  });

  it("the override always wins (property)", () => {
    fc.assert(
      fc.property(
        fc.array(arbitraryLoan, { maxLength: 8 }),
        fc.integer({ min: 1, max: 600 }),
        (loans, tenure) => {
          const currentAmount = loans
            .filter((l) => l.startDate <= AS_OF && AS_OF <= l.endDate)
            .reduce((sum, l) => sum + l.loanAmountPaise, 0);
          const overLimit = loan({
            loanAmountPaise: 1,
            tenure,
            startDate: "2025-06-01",
            endDate: "2026-06-01",
          });
          const limit = currentAmount; // one more paisa of current loans tips it over
          expect(computeCreditScore([...loans, overLimit], limit, AS_OF).score).toBe(0);
        },
      ),
      propertyRuns("credit score"),
    );
  });
});

function addYears(iso: string, years: number): string {
  return `${Number(iso.slice(0, 4)) + years}${iso.slice(4, 7)}-${Math.min(Number(iso.slice(8)), 28)
    .toString()
    .padStart(2, "0")}`;
}

function shiftDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
