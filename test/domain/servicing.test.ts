import { describe, expect, it } from "vitest";
import { amortisationSchedule } from "../../src/domain/amortisation";
import { applyPayment, LedgerReplayError, replayPayments } from "../../src/domain/payment";
import {
  isCurrentServicedLoan,
  nextInstalment,
  openLoan,
  type ServicedLoan,
  type ServicingState,
} from "../../src/domain/servicing";
import { buildStatement } from "../../src/domain/statement";

// The worked examples of docs/servicing.md, checked by hand; figures in paise.

/** ₹1,00,000 at 12 % for 12 months, booked through the API on 2025-01-31. */
const standard: ServicedLoan = {
  loanAmountPaise: 100_000_00,
  annualRateBp: 1200,
  tenure: 12,
  startDate: "2025-01-31",
  scheduleBasis: "contract",
  recordedInstalmentPaise: 8_884_88,
  recordedEmisPaidOnTime: 0,
};

function pay(loan: ServicedLoan, state: ServicingState, amountPaise: number, paidOn: string) {
  const outcome = applyPayment(loan, state, { amountPaise, paidOn });
  if (!outcome.accepted) throw new Error(`refused: ${outcome.refusal.code}`);
  return outcome;
}

function refusalOf(loan: ServicedLoan, state: ServicingState, amountPaise: number) {
  const outcome = applyPayment(loan, state, { amountPaise, paidOn: "2025-02-10" });
  if (outcome.accepted) throw new Error("expected a refusal");
  return outcome.refusal;
}

describe("the schedule", () => {
  it("₹1,00,000 at 12 % for 12 months: EMI 8,884.88, last 8,884.85, interest 6,618.53", () => {
    const rows = amortisationSchedule(standard, 8_884_88);
    expect(rows).toHaveLength(12);
    expect(rows[0]).toEqual({
      period: 1,
      dueDate: "2025-02-28", // 31 January + 1 month, clamped to the month's end
      instalmentPaise: 8_884_88,
      principalPaise: 7_884_88,
      interestPaise: 1_000_00,
      balanceAfterPaise: 92_115_12,
    });
    // 92,115.12 × 1 % = 921.1512 → 921.15
    expect(rows[1]).toMatchObject({ interestPaise: 921_15, balanceAfterPaise: 84_151_39 });
    expect(rows.slice(0, 11).every((row) => row.instalmentPaise === 8_884_88)).toBe(true);
    expect(rows[11]).toEqual({
      period: 12,
      dueDate: "2026-01-31",
      instalmentPaise: 8_884_85,
      principalPaise: 8_796_88,
      interestPaise: 87_97,
      balanceAfterPaise: 0,
    });
    expect(rows.reduce((sum, row) => sum + row.interestPaise, 0)).toBe(6_618_53);
    expect(rows.reduce((sum, row) => sum + row.principalPaise, 0)).toBe(100_000_00);
  });

  it("a 0 % loan splits the principal evenly, the last period taking the remainder", () => {
    const loan = { ...standard, loanAmountPaise: 1_000_00, annualRateBp: 0, tenure: 3 };
    const rows = amortisationSchedule(loan, 333_33);
    expect(rows.map((row) => [row.instalmentPaise, row.interestPaise])).toEqual([
      [333_33, 0],
      [333_33, 0],
      [333_34, 0],
    ]);
  });

  it("ends where the balance reaches 0 when a rounded-up EMI overshoots by a whole EMI", () => {
    // ₹1,000 at 0 % over 600 months: EMI 1.67 (1.6667 rounded up); 598 × 1.67 leaves 1.34.
    const loan = { ...standard, loanAmountPaise: 1_000_00, annualRateBp: 0, tenure: 600 };
    const rows = amortisationSchedule(loan, 1_67);
    expect(rows).toHaveLength(599);
    expect(rows.at(-1)).toMatchObject({ period: 599, instalmentPaise: 1_34, balanceAfterPaise: 0 });
  });

  it("leaves the whole principal to the final period when the interest rounds to the EMI", () => {
    // ₹1,000 at 14.43 % over 600 months: interest 12.025 → 12.03 per month, and so is the EMI.
    const loan = { ...standard, loanAmountPaise: 1_000_00, annualRateBp: 1443, tenure: 600 };
    const rows = amortisationSchedule(loan, 12_03);
    expect(rows).toHaveLength(600);
    expect(rows.slice(0, -1).every((row) => row.principalPaise === 0)).toBe(true);
    expect(rows.at(-1)).toMatchObject({ instalmentPaise: 1_012_03, principalPaise: 1_000_00 });
  });
});

describe("a payment", () => {
  const opening = openLoan(standard).state;

  it("of exactly the instalment settles period 1, interest first, and keeps the EMI", () => {
    const { receipt, state } = pay(standard, opening, 8_884_88, "2025-02-28");
    expect(receipt).toEqual({
      period: 1,
      dueDate: "2025-02-28",
      instalmentDuePaise: 8_884_88,
      interestPaidPaise: 1_000_00,
      principalPaidPaise: 7_884_88,
      balanceAfterPaise: 92_115_12,
      onTime: true,
      monthlyInstalmentPaise: 8_884_88,
      emiRecalculated: false,
      repaymentsLeft: 11,
      status: "active",
      closedOn: null,
      nextDueDate: "2025-03-31",
    });
    expect(state.emisPaidOnTime).toBe(1);
  });

  it("of more (₹10,000) lowers the EMI over the 11 periods left to 8,777.32", () => {
    const { receipt, state } = pay(standard, opening, 10_000_00, "2025-02-10");
    expect(receipt).toMatchObject({
      interestPaidPaise: 1_000_00,
      principalPaidPaise: 9_000_00,
      balanceAfterPaise: 91_000_00,
      onTime: true,
      monthlyInstalmentPaise: 8_777_32,
      emiRecalculated: true,
      repaymentsLeft: 11,
    });
    const statement = buildStatement(
      standard,
      replayPayments(standard, [{ amountPaise: 10_000_00, paidOn: "2025-02-10" }]),
      "2025-02-10",
    );
    expect(statement.summary.endDate).toBe("2026-01-31"); // reduce-EMI: the end date stays
    expect(statement.schedule.at(-1)?.dueDate).toBe("2026-01-31");
    expect(state.emiPaise).toBe(8_777_32);
  });

  it("of all but a paisa of the payoff leaves an EMI of ₹0.01, not 0.00", () => {
    // ₹1,01,000 is the payoff: a balance of 1 paisa over 11 periods re-amortises to 0.09 paise.
    const { receipt, state } = pay(standard, opening, 100_999_99, "2025-02-10");
    expect(receipt).toMatchObject({
      balanceAfterPaise: 1,
      monthlyInstalmentPaise: 1,
      repaymentsLeft: 1,
      status: "active",
    });
    expect(nextInstalment(standard, state)).toMatchObject({
      period: 2,
      instalmentDuePaise: 1,
      payoffAmountPaise: 1,
    });
    const { schedule } = buildStatement(
      standard,
      replayPayments(standard, [{ amountPaise: 100_999_99, paidOn: "2025-02-10" }]),
      "2025-06-15",
    );
    // Not ten periods asking 0.00 and falling overdue: the one paisa, then nothing.
    expect(schedule.map((row) => [row.period, row.instalmentPaise, row.status])).toEqual([
      [1, 100_999_99, "paid"],
      [2, 1, "overdue"],
    ]);
  });

  it("of less (₹5,000) raises the EMI to 9,259.59 and is not on time", () => {
    const { receipt, state } = pay(standard, opening, 5_000_00, "2025-02-10");
    expect(receipt).toMatchObject({
      principalPaidPaise: 4_000_00,
      balanceAfterPaise: 96_000_00,
      onTime: false,
      monthlyInstalmentPaise: 9_259_59,
      emiRecalculated: true,
    });
    expect(state.emisPaidOnTime).toBe(0);
  });

  it("made after the due date is late even for the full instalment", () => {
    const { receipt, state } = pay(standard, opening, 8_884_88, "2025-03-01");
    expect(receipt).toMatchObject({ onTime: false, emiRecalculated: false });
    expect(state.emisPaidOnTime).toBe(0);
  });

  it("of exactly the payoff closes the loan; a later payment is refused", () => {
    const afterFirst = pay(standard, opening, 8_884_88, "2025-02-28").state;
    // 92,115.12 + 921.15 interest
    expect(nextInstalment(standard, afterFirst)?.payoffAmountPaise).toBe(93_036_27);
    expect(refusalOf(standard, afterFirst, 93_036_28)).toMatchObject({
      code: "AMOUNT_EXCEEDS_PAYOFF",
      payoffAmountPaise: 93_036_27,
    });
    const { receipt, state } = pay(standard, afterFirst, 93_036_27, "2025-03-15");
    expect(receipt).toMatchObject({
      period: 2,
      interestPaidPaise: 921_15,
      principalPaidPaise: 92_115_12,
      balanceAfterPaise: 0,
      onTime: true,
      status: "closed",
      closedOn: "2025-03-15",
      repaymentsLeft: 0,
      nextDueDate: null,
      emiRecalculated: false,
    });
    expect(refusalOf(standard, state, 100_00)).toMatchObject({
      code: "LOAN_CLOSED",
      closedOn: "2025-03-15",
    });
  });

  it("dated before the start date is refused whatever the amount; on the start date it settles period 1", () => {
    // standard starts 2025-01-31: a payment the day before would close the loan before it began.
    for (const amountPaise of [8_884_88, 101_000_00]) {
      const outcome = applyPayment(standard, opening, { amountPaise, paidOn: "2025-01-30" });
      expect(outcome).toMatchObject({
        accepted: false,
        refusal: { code: "LOAN_NOT_STARTED", startDate: "2025-01-31" },
      });
    }
    expect(pay(standard, opening, 8_884_88, "2025-01-31").receipt).toMatchObject({
      period: 1,
      onTime: true,
    });
  });

  it("dated before the loan's latest payment is refused; on the same day it is taken", () => {
    const outcome = applyPayment(
      standard,
      opening,
      { amountPaise: 8_884_88, paidOn: "2025-02-27" },
      "2025-02-28",
    );
    expect(outcome).toMatchObject({
      accepted: false,
      refusal: { code: "BEFORE_LAST_PAYMENT", lastPaidOn: "2025-02-28" },
    });
    const sameDay = applyPayment(
      standard,
      opening,
      { amountPaise: 8_884_88, paidOn: "2025-02-28" },
      "2025-02-28",
    );
    expect(sameDay.accepted).toBe(true);
  });

  it("below the period's interest is refused", () => {
    expect(refusalOf(standard, opening, 999_99)).toMatchObject({
      code: "AMOUNT_BELOW_INTEREST_DUE",
      interestDuePaise: 1_000_00,
    });
    expect(pay(standard, opening, 1_000_00, "2025-02-10").receipt.principalPaidPaise).toBe(0);
  });

  it("on a 1-month loan must be the whole payoff: ₹10,000 at 12 % asks 10,100.00", () => {
    const oneMonth = {
      ...standard,
      loanAmountPaise: 10_000_00,
      tenure: 1,
      recordedInstalmentPaise: 10_100_00,
    };
    const state = openLoan(oneMonth).state;
    expect(refusalOf(oneMonth, state, 10_000_00)).toMatchObject({
      code: "AMOUNT_BELOW_FINAL_INSTALMENT",
      amountDuePaise: 10_100_00,
    });
    expect(pay(oneMonth, state, 10_100_00, "2025-02-28").receipt).toMatchObject({
      interestPaidPaise: 100_00,
      principalPaidPaise: 10_000_00,
      status: "closed",
      onTime: true,
    });
  });

  it("refuses a non-positive or fractional amount of paise as a programming error", () => {
    expect(() => applyPayment(standard, opening, { amountPaise: 0, paidOn: "2025-02-10" })).toThrow(
      RangeError,
    );
    expect(() =>
      applyPayment(standard, opening, { amountPaise: 1.5, paidOn: "2025-02-10" }),
    ).toThrow(RangeError);
  });
});

describe("a workbook loan", () => {
  const workbook: ServicedLoan = {
    ...standard,
    scheduleBasis: "reconstructed",
    recordedInstalmentPaise: 8_900_00, // the file's Monthly payment, not the formula's
    recordedEmisPaidOnTime: 3,
  };

  it("is reconstructed with its first emis_paid_on_time periods settled", () => {
    const { state, ledger } = openLoan(workbook);
    expect(state).toEqual({
      outstandingPrincipalPaise: 76_108_02,
      periodsSettled: 3,
      emiPaise: 8_884_88,
      monthlyInstalmentPaise: 8_900_00,
      emisPaidOnTime: 3,
      closedOn: null,
    });
    expect(ledger.map((entry) => [entry.source, entry.paidOn, entry.amountPaise])).toEqual([
      ["workbook", "2025-02-28", 8_884_88],
      ["workbook", "2025-03-31", 8_884_88],
      ["workbook", "2025-04-30", 8_884_88],
    ]);
    expect(ledger.every((entry) => entry.onTime && entry.paymentId === null)).toBe(true);
  });

  it("shows its recorded monthly payment until the first API payment", () => {
    const { state } = openLoan(workbook);
    expect(nextInstalment(workbook, state)?.instalmentDuePaise).toBe(8_884_88);
    const { receipt } = pay(workbook, state, 8_884_88, "2025-05-31");
    expect(receipt).toMatchObject({
      period: 4,
      monthlyInstalmentPaise: 8_884_88,
      emiRecalculated: false,
      onTime: true,
      repaymentsLeft: 8,
    });
  });

  it("counts at most its tenure as settled and is then closed on its last due date", () => {
    const { state, ledger } = openLoan({ ...workbook, recordedEmisPaidOnTime: 15 });
    expect(ledger).toHaveLength(12);
    expect(state).toMatchObject({
      outstandingPrincipalPaise: 0,
      closedOn: "2026-01-31",
      emisPaidOnTime: 15, // the recorded count itself is kept as the file says
    });
  });
});

describe("the statement", () => {
  it("marks rows paid, overdue, due and upcoming as of a date", () => {
    const history = replayPayments(standard, [{ amountPaise: 8_884_88, paidOn: "2025-02-20" }]);
    const statement = buildStatement(standard, history, "2025-05-15");
    expect(statement.schedule.slice(0, 5).map((row) => [row.dueDate, row.status])).toEqual([
      ["2025-02-28", "paid"],
      ["2025-03-31", "overdue"],
      ["2025-04-30", "overdue"],
      ["2025-05-31", "due"],
      ["2025-06-30", "upcoming"],
    ]);
    expect(statement.summary).toMatchObject({
      principalPaise: 100_000_00,
      amountPaidPaise: 8_884_88,
      interestPaidPaise: 1_000_00,
      principalPaidPaise: 7_884_88,
      outstandingPrincipalPaise: 92_115_12,
      repaymentsLeft: 11,
      status: "active",
      nextDueDate: "2025-03-31", // the overdue period is the one the next payment settles
      scheduleBasis: "contract",
    });
    // On its due date a period can still be paid on time: it is due, not overdue.
    expect(buildStatement(standard, history, "2025-03-31").schedule[1]?.status).toBe("due");
  });

  it("of a loan closed early lists the periods up to the one that closed it", () => {
    const history = replayPayments(standard, [
      { amountPaise: 8_884_88, paidOn: "2025-02-20", paymentId: 7 },
      { amountPaise: 93_036_27, paidOn: "2025-03-15", paymentId: 8 },
    ]);
    const statement = buildStatement(standard, history, "2025-06-01");
    expect(statement.schedule.map((row) => row.status)).toEqual(["paid", "paid"]);
    expect(statement.payments.map((entry) => entry.paymentId)).toEqual([7, 8]);
    expect(statement.summary).toMatchObject({
      amountPaidPaise: 101_921_15,
      interestPaidPaise: 1_921_15,
      principalPaidPaise: 100_000_00,
      outstandingPrincipalPaise: 0,
      status: "closed",
      closedOn: "2025-03-15",
      repaymentsLeft: 0,
      nextDueDate: null,
    });
  });

  // make-payment refuses such a payment since model 2026-12.10; one stored before must still
  // replay, or the loan's statement would fail for good.
  it("replays a payment stored with a date before the loan's start", () => {
    const history = replayPayments(standard, [{ amountPaise: 8_884_88, paidOn: "2025-01-15" }]);
    expect(history.state.periodsSettled).toBe(1);
    expect(buildStatement(standard, history, "2025-02-01").summary.repaymentsLeft).toBe(11);
  });

  it("cannot be built from a ledger the rules refuse", () => {
    expect(() => replayPayments(standard, [{ amountPaise: 1_00, paidOn: "2025-02-20" }])).toThrow(
      LedgerReplayError,
    );
  });
});

describe("a current loan under servicing", () => {
  const loan = { startDate: "2025-01-31", endDate: "2026-01-31", closedOn: null };
  it("is current within its dates while open", () => {
    expect(isCurrentServicedLoan(loan, "2025-01-30")).toBe(false);
    expect(isCurrentServicedLoan(loan, "2025-06-01")).toBe(true);
    expect(isCurrentServicedLoan(loan, "2026-02-01")).toBe(false);
  });
  it("is not current once closed, even when its closed_on lies after the as-of date", () => {
    const closed = { ...loan, closedOn: "2025-03-15" };
    expect(isCurrentServicedLoan(closed, "2025-03-15")).toBe(false);
    expect(isCurrentServicedLoan(closed, "2025-06-01")).toBe(false);
    // A workbook loan recorded as repaid closes on its last due date, which may be still to come.
    expect(isCurrentServicedLoan(closed, "2025-03-14")).toBe(false);
  });
});
