import type { RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../app-env";
import { bookLoan, loadForBooking, recordRefusal, type WriteOutcome } from "../../db/bookings";
import { IDEMPOTENCY_TTL_MS } from "../../db/idempotency";
import type { IdempotencyRecord } from "../../db/schema";
import { assessLoanRequest } from "../../domain/assessment";
import { loanEndDate } from "../../domain/loan-terms";
import { basisPointsToPercent, paiseToRupees } from "../../domain/money";
import { conflictProblem, notFoundProblem, ProblemError } from "../../lib/problem";
import { hashJson } from "../../lib/request-hash";
import { decisionEvent } from "../../lib/telemetry";
import { toLoanRequest } from "../eligibility/assessment-response";
import type { createLoan } from "./loans.routes";

/** A booking refused by the write-time guard is re-decided on fresh data, a few times at most. */
const MAX_ATTEMPTS = 3;

export const createLoanHandler: RouteHandler<typeof createLoan, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const idempotencyKey = c.req.valid("header")["idempotency-key"] ?? null;
  const request = toLoanRequest(body);
  // "The same body" means the same parsed JSON, whatever the key order or spacing.
  const requestHash = idempotencyKey ? await hashJson(await c.req.json()) : "";
  const { db, asOf } = c.var;

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const nowMs = Date.now();
    const { customer, loans, stored } = await loadForBooking(
      db,
      body.customer_id,
      idempotencyKey,
      nowMs,
    );
    if (stored) return replay(c, stored, requestHash);
    if (!customer) throw notFoundProblem(`Customer ${body.customer_id} does not exist.`);

    const { credit, decision } = assessLoanRequest(customer, loans, request, asOf);
    const endDate = loanEndDate(asOf, request.tenure);
    const result = {
      loan_id: null as number | null,
      customer_id: body.customer_id,
      loan_approved: decision.approved,
      message: decision.approved
        ? `Loan approved at ${basisPointsToPercent(decision.correctedInterestRateBp)} % for ${request.tenure} months.`
        : (decision.reasons[0]?.message ?? "Loan not approved."),
      monthly_installment: paiseToRupees(decision.monthlyInstalmentPaise),
      interest_rate: basisPointsToPercent(decision.correctedInterestRateBp),
      requested_interest_rate: body.interest_rate,
      loan_amount: body.loan_amount,
      tenure: body.tenure,
      credit_score: credit.score,
      start_date: decision.approved ? asOf : null,
      end_date: decision.approved ? endDate : null,
      reasons: decision.reasons,
    };
    const status = decision.approved ? 201 : 200;
    const stored_response = idempotencyKey
      ? {
          key: idempotencyKey,
          requestHash,
          status,
          body: JSON.stringify(result),
          expiresAt: nowMs + IDEMPOTENCY_TTL_MS,
        }
      : null;

    let outcome: WriteOutcome;
    if (decision.approved) {
      outcome = await bookLoan(
        db,
        {
          customerId: customer.id,
          loanAmountPaise: request.loanAmountPaise,
          tenure: request.tenure,
          interestRateBp: decision.correctedInterestRateBp,
          monthlyPaymentPaise: decision.monthlyInstalmentPaise,
          startDate: asOf,
          endDate,
        },
        stored_response,
        nowMs,
      );
    } else {
      outcome = stored_response
        ? await recordRefusal(db, stored_response, nowMs)
        : { kind: "recorded" };
    }

    // A decision counts once it is final: not a replay, not an attempt a concurrent booking undid.
    if (outcome.kind === "booked" || outcome.kind === "recorded") {
      c.var.telemetry.recordDecision(decisionEvent("create-loan", decision));
    }
    if (outcome.kind === "booked") return c.json({ ...result, loan_id: outcome.loanId }, 201);
    if (outcome.kind === "recorded") return c.json(result, 200);
    // guard-refused: a concurrent booking changed the position; key-taken: the twin request
    // finished first. Either way the next read sees the new state (and replays a stored response).
  }
  throw conflictProblem(
    "Concurrent bookings for this customer kept changing its position. Retry the request.",
    1,
  );
};

function replay(c: Context<AppEnv>, stored: IdempotencyRecord, requestHash: string) {
  if (stored.requestHash !== requestHash) {
    throw new ProblemError({
      kind: "idempotency-key-reused",
      detail: "This Idempotency-Key was already used with a different request body.",
      errors: [{ field: "Idempotency-Key", message: "was used with a different body" }],
    });
  }
  const body = { ...JSON.parse(stored.responseBody ?? "{}"), loan_id: stored.loanId };
  c.header("Idempotent-Replayed", "true");
  return c.json(body, stored.responseStatus === 201 ? 201 : 200);
}
