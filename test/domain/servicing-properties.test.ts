import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  amortisationSchedule,
  amortiseBalance,
  periodDueDate,
  periodsToRepay,
  projectSchedule,
} from "../../src/domain/amortisation";
import { loanEndDate, monthlyInstalmentPaise } from "../../src/domain/loan-terms";
import { applyPayment, type PaymentInput, replayPayments } from "../../src/domain/payment";
import {
  nextInstalment,
  openingState,
  openLoan,
  type ServicedLoan,
  type ServicingHistory,
} from "../../src/domain/servicing";
import { buildStatement } from "../../src/domain/statement";
import { annualRateBp, isoDateBetween, loanAmountPaise } from "../support/date-arbitrary";
import { propertyRuns } from "../support/property-seed";

const runs = propertyRuns("servicing properties", 200);

const isoDate = isoDateBetween(2000, 2030, { monthEndsOften: false });

/**
 * Every amount the API books, ₹0.01 to ₹100 crore (small ones often: they round hardest), 0–100 %,
 * 1–600 months; API-booked or reconstructed from the workbook.
 */
const servicedLoan: fc.Arbitrary<ServicedLoan> = fc
  .record({
    loanAmountPaise,
    annualRateBp,
    tenure: fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 600 })),
    startDate: isoDate,
    workbook: fc.boolean(),
    recordedInstalmentPaise: fc.integer({ min: 1, max: 10_00_00_000_00 }),
    recordedEmisPaidOnTime: fc.nat({ max: 650 }),
  })
  .map(({ workbook, recordedInstalmentPaise, recordedEmisPaidOnTime, ...terms }) => {
    const emiPaise = monthlyInstalmentPaise(
      terms.loanAmountPaise,
      terms.annualRateBp,
      terms.tenure,
    );
    return workbook
      ? {
          ...terms,
          scheduleBasis: "reconstructed" as const,
          recordedInstalmentPaise,
          recordedEmisPaidOnTime: recordedEmisPaidOnTime % (terms.tenure + 3),
        }
      : {
          ...terms,
          scheduleBasis: "contract" as const,
          recordedInstalmentPaise: emiPaise,
          recordedEmisPaidOnTime: 0,
        };
  })
  // Booking and ingestion refuse terms whose EMI rounds to 0.00 (a paisa over many months, say).
  .filter(
    (loan) => monthlyInstalmentPaise(loan.loanAmountPaise, loan.annualRateBp, loan.tenure) > 0,
  );

type Kind = "exact" | "over" | "under" | "payoff" | "nearPayoff" | "belowInterest" | "abovePayoff";
const paymentStep = fc.record({
  kind: fc.constantFrom<Kind>(
    "exact",
    "exact",
    "over",
    "under",
    "payoff",
    "nearPayoff",
    "belowInterest",
    "abovePayoff",
  ),
  share: fc.double({ min: 0, max: 1, noNaN: true }),
  daysFromDue: fc.integer({ min: -45, max: 45 }),
  /** How far short of the payoff a "nearPayoff" amount falls: a balance of a few paise is left. */
  shortPaise: fc.integer({ min: 1, max: 20 }),
});
type PaymentStep = typeof paymentStep extends fc.Arbitrary<infer T> ? T : never;

function shiftDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** An amount of the step's kind for the period now open: `share` picks where in its range. */
function amountFor(step: PaymentStep, due: NonNullable<ReturnType<typeof nextInstalment>>) {
  const between = (low: number, high: number) => low + Math.floor(step.share * (high - low + 1));
  const clampToRange = (low: number, high: number) => Math.min(high, between(low, high));
  switch (step.kind) {
    case "exact":
      return due.instalmentDuePaise;
    case "over":
      return due.payoffAmountPaise > due.instalmentDuePaise
        ? clampToRange(due.instalmentDuePaise + 1, due.payoffAmountPaise)
        : due.instalmentDuePaise;
    case "under":
      return due.instalmentDuePaise > due.interestDuePaise
        ? clampToRange(due.interestDuePaise, due.instalmentDuePaise - 1)
        : due.instalmentDuePaise;
    case "payoff":
      return due.payoffAmountPaise;
    case "nearPayoff":
      return Math.max(due.instalmentDuePaise, due.payoffAmountPaise - step.shortPaise);
    case "belowInterest":
      return due.interestDuePaise > 1 ? clampToRange(1, due.interestDuePaise - 1) : 1;
    case "abovePayoff":
      return due.payoffAmountPaise + 1 + Math.floor(step.share * 1_000_00);
  }
}

/** Applies the steps one by one, checking each payment's own rules; returns what was accepted. */
function payAll(loan: ServicedLoan, steps: readonly PaymentStep[]) {
  let { state } = openLoan(loan);
  const ledger = [...openLoan(loan).ledger];
  const accepted: PaymentInput[] = [];
  for (const step of steps) {
    const due = nextInstalment(loan, state);
    if (due === null) {
      const outcome = applyPayment(loan, state, { amountPaise: 1, paidOn: "2099-01-01" });
      expect(outcome).toMatchObject({ accepted: false, refusal: { code: "LOAN_CLOSED" } });
      break;
    }
    const amountPaise = Math.max(1, amountFor(step, due));
    const paidOn = shiftDays(due.dueDate, step.daysFromDue);
    const outcome = applyPayment(loan, state, { amountPaise, paidOn });
    if (!outcome.accepted) {
      const { refusal } = outcome;
      // Period 1's date can fall before the start: nothing is lent yet, whatever the amount.
      if (paidOn < loan.startDate) {
        expect(refusal).toEqual({
          code: "LOAN_NOT_STARTED",
          message: expect.any(String),
          startDate: loan.startDate,
        });
      } else if (amountPaise < due.interestDuePaise) {
        expect(refusal).toMatchObject({ code: "AMOUNT_BELOW_INTEREST_DUE" });
      } else if (amountPaise > due.payoffAmountPaise) {
        expect(refusal).toEqual(
          expect.objectContaining({
            code: "AMOUNT_EXCEEDS_PAYOFF",
            payoffAmountPaise: due.payoffAmountPaise,
          }),
        );
      } else {
        // The only other refusal: a short final instalment.
        expect(due.isFinalPeriod && amountPaise < due.instalmentDuePaise).toBe(true);
        expect(refusal).toMatchObject({
          code: "AMOUNT_BELOW_FINAL_INSTALMENT",
          amountDuePaise: due.instalmentDuePaise,
        });
      }
      continue;
    }
    const { receipt } = outcome;
    expect(amountPaise >= due.interestDuePaise && amountPaise <= due.payoffAmountPaise).toBe(true);
    expect(receipt.period).toBe(state.periodsSettled + 1);
    expect(receipt.interestPaidPaise).toBe(due.interestDuePaise);
    expect(receipt.interestPaidPaise + receipt.principalPaidPaise).toBe(amountPaise);
    expect(receipt.balanceAfterPaise).toBeGreaterThanOrEqual(0);
    expect(receipt.onTime).toBe(paidOn <= due.dueDate && amountPaise >= due.instalmentDuePaise);
    expect(outcome.state.emisPaidOnTime).toBe(state.emisPaidOnTime + (receipt.onTime ? 1 : 0));
    if (receipt.status === "active") {
      // No open period ever asks for 0.00 (booking refuses such an EMI; recalculation keeps a paisa).
      expect(receipt.monthlyInstalmentPaise).toBeGreaterThan(0);
      if (amountPaise === due.instalmentDuePaise) {
        expect(receipt.monthlyInstalmentPaise).toBe(state.emiPaise);
        expect(receipt.emiRecalculated).toBe(false);
      } else if (amountPaise > due.instalmentDuePaise) {
        expect(receipt.monthlyInstalmentPaise).toBeLessThanOrEqual(state.emiPaise);
      } else {
        expect(receipt.monthlyInstalmentPaise).toBeGreaterThanOrEqual(state.emiPaise);
      }
      expect(receipt.nextDueDate).toBe(periodDueDate(loan.startDate, receipt.period + 1));
    } else {
      expect(receipt).toMatchObject({ balanceAfterPaise: 0, repaymentsLeft: 0, nextDueDate: null });
      expect(receipt.closedOn).toBe(paidOn);
    }
    state = outcome.state;
    ledger.push(outcome.entry);
    accepted.push({ amountPaise, paidOn });
  }
  return { history: { state, ledger } satisfies ServicingHistory, accepted };
}

function expectStatementInvariants(loan: ServicedLoan, history: ServicingHistory, asOf: string) {
  const { summary, schedule, payments } = buildStatement(loan, history, asOf);
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

  // Σ payments = interest_paid + principal_paid = amount_paid
  expect(sum(payments.map((entry) => entry.amountPaise))).toBe(summary.amountPaidPaise);
  expect(summary.interestPaidPaise + summary.principalPaidPaise).toBe(summary.amountPaidPaise);
  // loan_amount − principal_paid = outstanding_principal
  expect(loan.loanAmountPaise - summary.principalPaidPaise).toBe(summary.outstandingPrincipalPaise);

  // Σ schedule principal = loan_amount; installment = principal + interest; balances ≥ 0, end at 0.
  expect(sum(schedule.map((row) => row.principalPaise))).toBe(loan.loanAmountPaise);
  // Row checks collect their violations: one expect per row would dominate the run time.
  const violations: string[] = [];
  let balance = loan.loanAmountPaise;
  schedule.forEach((row, index) => {
    balance -= row.principalPaise;
    if (row.period !== index + 1) violations.push(`row ${index}: period ${row.period}`);
    if (row.dueDate !== periodDueDate(loan.startDate, row.period)) {
      violations.push(`period ${row.period}: due date ${row.dueDate}`);
    }
    if (row.instalmentPaise !== row.principalPaise + row.interestPaise) {
      violations.push(`period ${row.period}: instalment is not principal + interest`);
    }
    if (row.principalPaise < 0) violations.push(`period ${row.period}: negative principal`);
    if (row.balanceAfterPaise !== balance || balance < 0) {
      violations.push(
        `period ${row.period}: balance ${row.balanceAfterPaise}, expected ${balance}`,
      );
    }
  });
  expect(balance).toBe(0);

  // Tenure and end date never move: no period past the tenure, and the end date is the terms'.
  expect(schedule.length).toBeLessThanOrEqual(loan.tenure);
  expect(summary.endDate).toBe(loanEndDate(loan.startDate, loan.tenure));
  const openRows = schedule.filter((row) => row.status !== "paid");
  if (summary.status === "active" && schedule.length < loan.tenure) {
    // Ended early only because the EMI over the periods left more than covers the balance.
    const periodsLeft = loan.tenure - history.state.periodsSettled;
    expect(summary.emiPaise * periodsLeft).toBeGreaterThan(summary.outstandingPrincipalPaise);
  }

  // Statuses: paid rows are the ledger; overdue rows lie before the as-of date; at most one due.
  expect(schedule.filter((row) => row.status === "paid")).toHaveLength(payments.length);
  expect(summary.repaymentsLeft).toBe(openRows.length);
  const order = { paid: 0, overdue: 1, due: 2, upcoming: 3 };
  schedule.forEach((row, index) => {
    const overdue = row.dueDate < asOf;
    if (row.status === "overdue" && !overdue) violations.push(`period ${row.period}: not overdue`);
    if ((row.status === "due" || row.status === "upcoming") && overdue) {
      violations.push(`period ${row.period}: ${row.status} but past its due date`);
    }
    const before = schedule[index - 1];
    if (before && order[row.status] < order[before.status]) {
      violations.push(`period ${row.period}: ${row.status} after ${before.status}`);
    }
  });
  expect(violations).toEqual([]);
  expect(openRows.filter((row) => row.status === "due").length).toBeLessThanOrEqual(1);
  if (summary.status === "closed") {
    expect(summary).toMatchObject({ outstandingPrincipalPaise: 0, nextDueDate: null });
    expect(openRows).toHaveLength(0);
  } else {
    expect(summary.nextDueDate).toBe(openRows[0]?.dueDate);
  }
}

describe("servicing properties (exact, in paise)", () => {
  it("every fresh schedule repays exactly the loan amount", () => {
    fc.assert(
      fc.property(servicedLoan, (loan) => {
        const emiPaise = monthlyInstalmentPaise(
          loan.loanAmountPaise,
          loan.annualRateBp,
          loan.tenure,
        );
        const rows = amortisationSchedule(loan, emiPaise);
        expect(rows.reduce((total, row) => total + row.principalPaise, 0)).toBe(
          loan.loanAmountPaise,
        );
        expect(
          rows.every((row) => row.instalmentPaise === row.principalPaise + row.interestPaise),
        ).toBe(true);
        expect(rows.at(-1)?.balanceAfterPaise).toBe(0);
        expect(rows.slice(0, -1).every((row) => row.instalmentPaise === emiPaise)).toBe(true);
      }),
      runs,
    );
  });

  it("a schedule cut at a period is the full schedule's first rows, and the periods it counts", () => {
    fc.assert(
      fc.property(servicedLoan, fc.integer({ min: -2, max: 650 }), (loan, lastPeriod) => {
        const emiPaise = loan.recordedInstalmentPaise;
        const from = { balancePaise: loan.loanAmountPaise, firstPeriod: 1, emiPaise };
        const full = amortisationSchedule(loan, emiPaise);
        expect(projectSchedule(loan, from, lastPeriod)).toEqual(
          full.slice(0, Math.max(0, lastPeriod)),
        );
        expect(periodsToRepay(loan, from)).toBe(full.length);
        const cut = amortiseBalance(loan, from, lastPeriod);
        const settled = full.slice(0, Math.max(0, lastPeriod));
        expect(cut).toEqual({
          balancePaise: settled.at(-1)?.balanceAfterPaise ?? loan.loanAmountPaise,
          periodsSettled: settled.length,
        });
        expect(full.every((row) => row.dueDate === periodDueDate(loan.startDate, row.period))).toBe(
          true,
        );
      }),
      runs,
    );
  });

  it("the opening state computed alone (every read of a loan without API payments) is openLoan's", () => {
    // Any count and any recorded instalment too: an API-booked loan's EMI is the recorded one, so a
    // large one repays the loan early and closes it before its tenure.
    const anyRecord = fc.record({
      count: fc.nat({ max: 650 }),
      instalmentPaise: fc.integer({ min: 1, max: 10_00_00_000_00 }),
    });
    fc.assert(
      fc.property(servicedLoan, fc.option(anyRecord), (generated, record) => {
        const loan = record
          ? {
              ...generated,
              recordedEmisPaidOnTime: record.count % (generated.tenure + 3),
              recordedInstalmentPaise: record.instalmentPaise,
            }
          : generated;
        expect(openingState(loan)).toEqual(openLoan(loan).state);
      }),
      runs,
    );
  });

  it("payments keep every invariant, and replaying the ledger gives the same state", () => {
    fc.assert(
      fc.property(
        servicedLoan,
        fc.array(paymentStep, { maxLength: 25 }),
        fc.integer({ min: -60, max: 900 }),
        (loan, steps, asOfOffsetDays) => {
          const { history, accepted } = payAll(loan, steps);
          expect(replayPayments(loan, accepted)).toEqual(history);
          const asOf = shiftDays(loan.startDate, asOfOffsetDays);
          expectStatementInvariants(loan, openLoan(loan), asOf);
          expectStatementInvariants(loan, history, asOf);
        },
      ),
      runs,
    );
  });

  it("a loan paid exactly as scheduled keeps its EMI and closes on its final period", () => {
    fc.assert(
      fc.property(servicedLoan, (loan) => {
        const contract = { ...loan, scheduleBasis: "contract" as const, recordedEmisPaidOnTime: 0 };
        const emiPaise = monthlyInstalmentPaise(
          loan.loanAmountPaise,
          loan.annualRateBp,
          loan.tenure,
        );
        const booked = { ...contract, recordedInstalmentPaise: emiPaise };
        const steps = amortisationSchedule(booked, emiPaise).map(() => ({
          kind: "exact" as const,
          share: 0,
          daysFromDue: 0,
          shortPaise: 1,
        }));
        const { history } = payAll(booked, steps);
        expect(history.state).toMatchObject({
          emiPaise,
          outstandingPrincipalPaise: 0,
          emisPaidOnTime: steps.length,
        });
        expect(history.state.closedOn).not.toBeNull();
        expect(history.ledger.at(-1)?.period).toBe(steps.length);
      }),
      { ...runs, numRuns: 60 },
    );
  });
});
