import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { computeCreditScore, type ScoredLoan } from "../../src/domain/credit-score";
import { loanEndDate, monthlyInstalmentPaise } from "../../src/domain/loan-terms";
import { applyPayment } from "../../src/domain/payment";
import {
  nextInstalment,
  openLoan,
  type ServicedLoan,
  type ServicingState,
} from "../../src/domain/servicing";
import { annualRateBp, isoDateBetween, loanAmountPaise } from "../support/date-arbitrary";
import { propertyRuns } from "../support/property-seed";

/*
 * The score read against the servicing engine that produces its inputs. credit-score.test.ts
 * draws on-time counts at random; here they come from payments applyPayment took, so the two
 * modules' notions of "due" and "paid on time" must agree. Model versions 2026-12.12 and .14 each
 * fixed a way they did not (an early payoff counted its later months as missed, an instalment due
 * on the as-of date counted as missed that morning); reverting either fails this property.
 */

const runs = propertyRuns("score against servicing", 300);

function shiftDays(iso: string, days: number): string {
  const date = new Date(`${iso}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

const startDate = isoDateBetween(2000, 2030, { monthEndsOften: true });

/** API-booked, or from the workbook with its first periods counted as paid on time. */
const servicedLoan: fc.Arbitrary<ServicedLoan> = fc
  .record({
    loanAmountPaise,
    annualRateBp,
    tenure: fc.oneof(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 120 })),
    startDate,
    workbook: fc.boolean(),
    recordedEmisPaidOnTime: fc.nat({ max: 120 }),
  })
  .map(({ workbook, recordedEmisPaidOnTime, ...terms }) => {
    const emiPaise = monthlyInstalmentPaise(
      terms.loanAmountPaise,
      terms.annualRateBp,
      terms.tenure,
    );
    return {
      ...terms,
      scheduleBasis: workbook ? ("reconstructed" as const) : ("contract" as const),
      recordedInstalmentPaise: emiPaise,
      // At most the tenure, as ingestion requires.
      recordedEmisPaidOnTime: workbook ? recordedEmisPaidOnTime % (terms.tenure + 1) : 0,
    };
  })
  .filter((loan) => loan.recordedInstalmentPaise > 0);

/** A payment made on time: `earlyDays` before its due date (or on it), of the amount due or more. */
const onTimeStep = fc.record({
  earlyDays: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
  kind: fc.constantFrom("due", "due", "more", "payoff"),
  share: fc.double({ min: 0, max: 1, noNaN: true }),
});

/** The loan as a decision reads it (src/routes/decisions/decision-record.ts keeps these fields). */
function scoredLoan(loan: ServicedLoan, state: ServicingState, apiPayments: number): ScoredLoan {
  return {
    loanAmountPaise: loan.loanAmountPaise,
    tenure: loan.tenure,
    emisPaidOnTime: state.emisPaidOnTime,
    // The column is null until the loan's first API payment.
    periodsSettled: apiPayments > 0 ? state.periodsSettled : null,
    startDate: loan.startDate,
    endDate: loanEndDate(loan.startDate, loan.tenure),
    closedOn: state.closedOn,
  };
}

describe("the score against the servicing engine", () => {
  it("gives a borrower who paid every instalment on time the full on-time points, up to the next due date", () => {
    fc.assert(
      fc.property(
        servicedLoan,
        fc.array(onTimeStep, { maxLength: 30 }),
        fc.integer({ min: 0, max: 4_000 }),
        (loan, steps, asOfDays) => {
          let { state } = openLoan(loan);
          let lastPaidOn: string | null = null;
          let apiPayments = 0;
          for (const step of steps) {
            const due = nextInstalment(loan, state);
            if (due === null) break;
            // Never before the start or the latest payment: make-payment refuses those dates.
            const earliest: string = lastPaidOn ?? loan.startDate;
            const early = shiftDays(due.dueDate, -step.earlyDays);
            const paidOn: string = early < earliest ? earliest : early;
            const room = due.payoffAmountPaise - due.instalmentDuePaise;
            const amountPaise =
              step.kind === "payoff"
                ? due.payoffAmountPaise
                : due.instalmentDuePaise +
                  (step.kind === "more" ? Math.floor(step.share * room) : 0);
            const outcome = applyPayment(loan, state, { amountPaise, paidOn }, lastPaidOn);
            if (!outcome.accepted) throw new Error(`refused: ${outcome.refusal.code}`);
            expect(outcome.receipt.onTime).toBe(true);
            state = outcome.state;
            lastPaidOn = paidOn;
            apiPayments += 1;
          }
          // Any day from the latest payment (or the start) up to the next open period's due date:
          // nothing unpaid has fallen due by then.
          const from = lastPaidOn ?? loan.startDate;
          const next = nextInstalment(loan, state);
          const later = shiftDays(from, asOfDays);
          const asOf = next !== null && later > next.dueDate ? next.dueDate : later;

          const credit = computeCreditScore([scoredLoan(loan, state, apiPayments)], 10 ** 14, asOf);
          const onTime = credit.breakdown.find((part) => part.component === "on_time_repayment");
          expect(onTime?.inputs.emis_paid_on_time).toBe(onTime?.inputs.emis_due);
          expect(onTime?.points).toBe(onTime?.inputs.emis_due === 0 ? 20 : 40);
        },
      ),
      runs,
    );
  });
});
