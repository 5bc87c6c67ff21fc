import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addMonths } from "../../src/domain/dates";
import { monthlyInstalmentPaise } from "../../src/domain/loan-terms";
import { replayPayments } from "../../src/domain/payment";
import { repaymentsLeftOf, type ServicedLoan } from "../../src/domain/servicing";
import { backend } from "../support/backend";
import { annualRateBp, isoDateBetween, loanAmountPaise } from "../support/date-arbitrary";
import { callJson, registerCustomer } from "../support/http";
import { propertyRuns } from "../support/property-seed";
import { seedLoan } from "../support/seed";
import { paiseTotals, pay, type StatementBody, statementOf } from "../support/servicing";

/*
 * Servicing through the API as a client sees it: it reads a loan's statement, pays what its
 * next_installment says (or more, less, a paisa, far too much), and reads again. Over random loans
 * (API-booked or from the workbook, 0–100 %, amounts from a paisa up, start dates on month ends,
 * leap days, after the as-of date) and random payments, every answer is the one the statement
 * before it predicts, refusals write nothing, an Idempotency-Key replays even once the loan has
 * closed, and what storage keeps is the fold of its ledger: the loan's state as view-loan,
 * view-loans and the statement show it equals replayPayments over the stored payments
 * (docs/servicing.md: "the ledger stays the truth"). test/domain/servicing-properties.test.ts
 * checks the engine itself; this checks the routes and storage around it, on every backend.
 *
 * Every payment is dated the suite's as-of date: another date would start a server per date on
 * the node-server project. The loans' start dates vary instead, so that due dates fall before,
 * on and after it.
 */

const AS_OF = "2025-06-15";
const paise = (rupees: number) => Math.round(rupees * 100);
const rupees = (amountPaise: number) => amountPaise / 100;

const startDate = isoDateBetween(2022, 2025, { monthEndsOften: true });

const loanTerms = fc
  .record({
    loanAmountPaise,
    annualRateBp,
    tenure: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 60 })),
    startDate,
    workbook: fc.boolean(),
    recordedInstalmentPaise: fc.integer({ min: 1, max: 1_00_00_000_00 }),
    recordedEmisPaidOnTime: fc.nat({ max: 60 }),
  })
  // Booking and ingestion refuse terms whose EMI rounds to 0.00.
  .filter(
    (loan) => monthlyInstalmentPaise(loan.loanAmountPaise, loan.annualRateBp, loan.tenure) > 0,
  );

type Kind =
  | "due"
  | "over"
  | "under"
  | "interestOnly"
  | "payoff"
  | "paisaShortOfPayoff"
  | "onePaisa"
  | "belowInterest"
  | "abovePayoff";
const paymentStep = fc.record({
  kind: fc.constantFrom<Kind>(
    "due",
    "due",
    "over",
    "under",
    "interestOnly",
    "payoff",
    "paisaShortOfPayoff",
    "onePaisa",
    "belowInterest",
    "abovePayoff",
  ),
  share: fc.double({ min: 0, max: 1, noNaN: true }),
  keyed: fc.boolean(),
});
type PaymentStep = typeof paymentStep extends fc.Arbitrary<infer T> ? T : never;

interface NextInstallment {
  period: number;
  due_date: string;
  amount_due: number;
  interest_due: number;
  payoff_amount: number;
}

/** The amount of a step, in paise, from what the statement says the next instalment is. */
function amountFor(step: PaymentStep, next: NextInstallment): number {
  const due = paise(next.amount_due);
  const interest = paise(next.interest_due);
  const payoff = paise(next.payoff_amount);
  const within = (low: number, high: number) =>
    Math.min(high, low + Math.floor(step.share * (high - low + 1)));
  switch (step.kind) {
    case "due":
      return due;
    case "over":
      return payoff > due ? within(due + 1, payoff) : due;
    case "under":
      return due > interest ? within(interest, due - 1) : due;
    case "interestOnly":
      return interest;
    case "payoff":
      return payoff;
    case "paisaShortOfPayoff":
      return payoff - 1;
    case "onePaisa":
      return 1;
    case "belowInterest":
      return interest > 1 ? within(1, interest - 1) : 1;
    case "abovePayoff":
      return payoff + 1 + Math.floor(step.share * 1_000_00);
  }
}

/** What the statement before a payment says its answer must be. */
function expectedRefusal(statement: StatementBody, next: NextInstallment, amountPaise: number) {
  if ((statement.start_date as string) > AS_OF) {
    return { status: 409, code: "LOAN_NOT_STARTED", start_date: statement.start_date };
  }
  if (amountPaise < paise(next.interest_due)) {
    return { status: 422, code: "AMOUNT_BELOW_INTEREST_DUE", interest_due: next.interest_due };
  }
  if (amountPaise > paise(next.payoff_amount)) {
    return { status: 422, code: "AMOUNT_EXCEEDS_PAYOFF", payoff_amount: next.payoff_amount };
  }
  if (next.period === statement.tenure && amountPaise < paise(next.amount_due)) {
    return { status: 422, code: "AMOUNT_BELOW_FINAL_INSTALMENT", amount_due: next.amount_due };
  }
  return null;
}

/** A loan's stored API payments, in period order: the ledger the loan's state must be the fold of. */
async function storedPayments(loanId: number) {
  return backend().query<{ id: number; paid_on: string; amount_paise: number; on_time: number }>(
    "SELECT id, paid_on, amount_paise, on_time FROM payments WHERE loan_id = ? ORDER BY period",
    [loanId],
  );
}

describe("servicing through the API (random loans, random payments)", () => {
  it("answers as the statement predicts, writes nothing on a refusal, and stores the fold of its ledger", async () => {
    const { customer_id: customerId } = await registerCustomer();
    // Source ids need only be unique per customer, and the customer is new.
    let nextSourceId = 1;
    await fc.assert(
      fc.asyncProperty(loanTerms, fc.array(paymentStep, { maxLength: 8 }), async (terms, steps) => {
        const booked = monthlyInstalmentPaise(
          terms.loanAmountPaise,
          terms.annualRateBp,
          terms.tenure,
        );
        const loan: ServicedLoan = terms.workbook
          ? {
              ...terms,
              scheduleBasis: "reconstructed",
              // At most the tenure, as ingestion requires.
              recordedEmisPaidOnTime: terms.recordedEmisPaidOnTime % (terms.tenure + 1),
            }
          : {
              ...terms,
              scheduleBasis: "contract",
              recordedInstalmentPaise: booked,
              recordedEmisPaidOnTime: 0,
            };
        const loanId = await seedLoan({
          customerId,
          amount: rupees(loan.loanAmountPaise),
          rate: loan.annualRateBp / 100,
          tenure: loan.tenure,
          startDate: loan.startDate,
          endDate: addMonths(loan.startDate, loan.tenure),
          monthlyPayment: rupees(loan.recordedInstalmentPaise),
          emisPaidOnTime: loan.recordedEmisPaidOnTime,
          sourceLoanId: terms.workbook ? nextSourceId++ : undefined,
        });

        for (const step of steps) {
          const before = (await statementOf(customerId, loanId)).body;
          const next = before.next_installment as NextInstallment | null;
          const headers: Record<string, string> = step.keyed
            ? { "Idempotency-Key": `prop-${crypto.randomUUID()}` }
            : {};
          if (next === null) {
            const closed = await pay(customerId, loanId, 0.01, headers);
            expect(closed.status).toBe(409);
            expect(closed.body).toMatchObject({
              code: "LOAN_CLOSED",
              closed_on: before.closed_on,
            });
            expect((await statementOf(customerId, loanId)).body).toEqual(before);
            break;
          }
          const amountPaise = Math.max(1, amountFor(step, next));
          const answer = await pay(customerId, loanId, rupees(amountPaise), headers);
          const refusal = expectedRefusal(before, next, amountPaise);
          if (refusal) {
            const { status, ...fields } = refusal;
            expect(answer.status).toBe(status);
            expect(answer.body).toMatchObject(fields);
            expect((await statementOf(customerId, loanId)).body).toEqual(before);
            continue;
          }

          expect(answer.status).toBe(201);
          const closes = amountPaise === paise(next.payoff_amount);
          expect(answer.body).toMatchObject({
            amount: rupees(amountPaise),
            paid_on: AS_OF,
            period: next.period,
            due_date: next.due_date,
            installment_due: next.amount_due,
            interest_paid: next.interest_due,
            principal_paid: rupees(amountPaise - paise(next.interest_due)),
            on_time: AS_OF <= next.due_date && amountPaise >= paise(next.amount_due),
            status: closes ? "closed" : "active",
            closed_on: closes ? AS_OF : null,
            emi_recalculated: !closes && amountPaise !== paise(next.amount_due),
          });
          const after = (await statementOf(customerId, loanId)).body;
          expect(after.payments.at(-1)).toEqual({
            payment_id: answer.body.payment_id,
            paid_on: AS_OF,
            amount: rupees(amountPaise),
            interest: answer.body.interest_paid,
            principal: answer.body.principal_paid,
            balance_after: answer.body.balance_after,
            period: next.period,
            on_time: answer.body.on_time,
            source: "api",
          });
          expect(after).toMatchObject({
            outstanding_principal: answer.body.balance_after,
            monthly_installment: answer.body.monthly_installment,
            repayments_left: answer.body.repayments_left,
            status: answer.body.status,
            closed_on: answer.body.closed_on,
            next_due_date: answer.body.next_due_date,
          });
          if (step.keyed) {
            // The same request again replays the first answer, even when that one closed the loan.
            const again = await pay(customerId, loanId, rupees(amountPaise), headers);
            expect(again.status).toBe(201);
            expect(again.headers.get("Idempotent-Replayed")).toBe("true");
            expect(again.body).toEqual(answer.body);
            expect((await statementOf(customerId, loanId)).body).toEqual(after);
          }
        }

        const { body: statement } = await statementOf(customerId, loanId);
        const totals = paiseTotals(statement);
        expect(totals.schedulePrincipal).toBe(loan.loanAmountPaise);
        expect(totals.rowsAddUp).toBe(true);
        expect(totals.paymentsTotal).toBe(totals.amountPaid);
        expect(totals.paidSplit).toBe(totals.amountPaid);
        expect(totals.outstanding).toBe(totals.outstandingReported);
        expect(totals.lastBalance).toBe(0);

        // The stored ledger, folded over the terms, is the loan's state as every read shows it.
        const rows = await storedPayments(loanId);
        const replayed = replayPayments(
          loan,
          rows.map((row) => ({
            amountPaise: row.amount_paise,
            paidOn: row.paid_on,
            paymentId: row.id,
          })),
        );
        expect(rows.map((row) => Boolean(row.on_time))).toEqual(
          replayed.ledger.filter((entry) => entry.source === "api").map((entry) => entry.onTime),
        );
        expect(statement.payments).toEqual(
          replayed.ledger.map((entry) => ({
            payment_id: entry.paymentId,
            paid_on: entry.paidOn,
            amount: rupees(entry.amountPaise),
            interest: rupees(entry.interestPaise),
            principal: rupees(entry.principalPaise),
            balance_after: rupees(entry.balanceAfterPaise),
            period: entry.period,
            on_time: entry.onTime,
            source: entry.source,
          })),
        );
        const { state } = replayed;
        const loanState = {
          monthly_installment: rupees(state.monthlyInstalmentPaise),
          emis_paid_on_time: state.emisPaidOnTime,
          repayments_left: repaymentsLeftOf(loan, state),
          status: state.closedOn === null ? "active" : "closed",
          closed_on: state.closedOn,
        };
        expect(statement).toMatchObject({
          ...loanState,
          outstanding_principal: rupees(state.outstandingPrincipalPaise),
        });
        expect((await callJson(`/view-loan/${loanId}`)).body).toMatchObject(loanState);
        const listed = await callJson<{ loan_id: number }[]>(`/view-loans/${customerId}`);
        expect(listed.body.find((entry) => entry.loan_id === loanId)).toMatchObject(loanState);
      }),
      propertyRuns("servicing through the API", 30),
    );
  }, 240_000);
});
