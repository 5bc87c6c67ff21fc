import type { z } from "@hono/zod-openapi";
import type { DecisionRecord, NewDecisionRecord } from "../../db/decisions";
import type { CustomerRecord, LoanRecord } from "../../db/schema";
import type { Assessment } from "../../domain/assessment";
import type { LoanRequest } from "../../domain/decision";
import { MODEL_VERSION } from "../../domain/model-version";
import { basisPointsToPercent, paiseToRupees } from "../../domain/money";
import { explainRefusals } from "../../domain/principal-reasons";
import type { CreateLoanResult } from "../loans/loan-response";
import type { decisionRecordSchema } from "./decisions.routes";

export type DecisionRecordResponse = z.infer<typeof decisionRecordSchema>;

export interface DecisionMade {
  decisionId: string;
  customer: CustomerRecord;
  loans: readonly LoanRecord[];
  request: LoanRequest;
  assessment: Assessment;
  /** The answer the client gets, so the record says exactly what the response said. */
  result: CreateLoanResult;
  asOf: string;
  nowMs: number;
  idempotencyKey: string | null;
}

/** The record of one create-loan decision: its inputs, its outcome and its reasons. */
export function newDecisionRecord(made: DecisionMade): NewDecisionRecord {
  const { credit, decision } = made.assessment;
  return {
    id: made.decisionId,
    customerId: made.customer.id,
    createdAt: new Date(made.nowMs).toISOString(),
    asOfDate: made.asOf,
    modelVersion: MODEL_VERSION,
    idempotencyKey: made.idempotencyKey,
    approved: decision.approved,
    creditScore: credit.score,
    interestRateBp: decision.correctedInterestRateBp,
    monthlyInstalmentPaise: decision.monthlyInstalmentPaise,
    message: made.result.message,
    startDate: made.result.start_date,
    endDate: made.result.end_date,
    request: made.request,
    inputs: {
      borrower: {
        monthlySalaryPaise: made.customer.monthlySalaryPaise,
        approvedLimitPaise: made.customer.approvedLimitPaise,
      },
      loans: made.loans.map((loan) => ({
        loanId: loan.id,
        loanAmountPaise: loan.loanAmountPaise,
        tenure: loan.tenure,
        interestRateBp: loan.interestRateBp,
        monthlyPaymentPaise: loan.monthlyPaymentPaise,
        emisPaidOnTime: loan.emisPaidOnTime,
        // Which instalments were paid, late or on time (the on-time score since 2026-12.15).
        periodsSettled: loan.periodsSettled,
        startDate: loan.startDate,
        endDate: loan.endDate,
        // A closed loan no longer counts toward the limit or the 50 % rule (since 2026-12.1).
        closedOn: loan.closedOn,
      })),
    },
    scoreBreakdown: credit.breakdown,
    reasons: explainRefusals(decision.reasons, credit.breakdown),
  };
}

/** The API's view of a record: the create-loan response's fields, then what explains them. */
export function toDecisionResponse(record: DecisionRecord): DecisionRecordResponse {
  const { borrower, loans } = record.inputs;
  return {
    decision_id: record.id,
    customer_id: record.customerId,
    loan_id: record.loanId,
    loan_approved: record.approved,
    outcome: record.approved ? "approved" : "refused",
    message: record.message,
    monthly_installment: paiseToRupees(record.monthlyInstalmentPaise),
    interest_rate: basisPointsToPercent(record.interestRateBp),
    requested_interest_rate: basisPointsToPercent(record.request.interestRateBp),
    loan_amount: paiseToRupees(record.request.loanAmountPaise),
    tenure: record.request.tenure,
    credit_score: record.creditScore,
    start_date: record.startDate,
    end_date: record.endDate,
    reasons: record.reasons.map((reason) => ({
      code: reason.code,
      message: reason.message,
      principal_reason: reason.principalReason,
      ...(reason.scoreFactors
        ? {
            score_factors: reason.scoreFactors.map((factor) => ({
              component: factor.component,
              points_lost: factor.pointsLost,
              description: factor.description,
            })),
          }
        : {}),
    })),
    score_breakdown: record.scoreBreakdown,
    decided_at: record.createdAt,
    as_of_date: record.asOfDate,
    model_version: record.modelVersion,
    idempotency_key: record.idempotencyKey,
    inputs: {
      monthly_salary: paiseToRupees(borrower.monthlySalaryPaise),
      approved_limit: paiseToRupees(borrower.approvedLimitPaise),
      loans: loans.map((loan) => ({
        loan_id: loan.loanId,
        loan_amount: paiseToRupees(loan.loanAmountPaise),
        interest_rate: basisPointsToPercent(loan.interestRateBp),
        monthly_installment: paiseToRupees(loan.monthlyPaymentPaise),
        tenure: loan.tenure,
        emis_paid_on_time: loan.emisPaidOnTime,
        periods_settled: loan.periodsSettled ?? null,
        start_date: loan.startDate,
        end_date: loan.endDate,
        // Without it a decision that left a repaid loan out could not be replayed from the record.
        closed_on: loan.closedOn ?? null,
      })),
    },
  };
}
