import { desc, eq, getTableColumns, sql } from "drizzle-orm";
import { expect } from "vitest";
import type { DecisionRecord } from "../../src/db/decisions";
import { type DecisionRow, decisionInputs, decisionRecords } from "../../src/db/schema";
import { assessLoanRequest } from "../../src/domain/assessment";
import { MODEL_VERSION } from "../../src/domain/model-version";
import { explainRefusals } from "../../src/domain/principal-reasons";
import { backend } from "./backend";
import { call } from "./http";
import { expectProblem } from "./problem";
import { tableCounts } from "./table-counts";

/**
 * Re-runs the pure decision on every decision record this test file's requests stored, from the
 * stored inputs alone, and expects the stored outcome: score, breakdown, rate, EMI, reasons.
 * Returns how many were replayed, so a caller can tell an empty table from a replayed one.
 */
export async function replayEveryDecision(): Promise<number> {
  const rows = await plainDecisions();
  for (const row of rows) {
    const record = toDecisionRecord(row);
    expect(record.modelVersion, `decision ${record.id}`).toBe(MODEL_VERSION);
    const { credit, decision } = assessLoanRequest(
      record.inputs.borrower,
      record.inputs.loans,
      record.request,
      record.asOfDate,
    );
    expect(
      {
        approved: decision.approved,
        creditScore: credit.score,
        scoreBreakdown: credit.breakdown,
        interestRateBp: decision.correctedInterestRateBp,
        monthlyInstalmentPaise: decision.monthlyInstalmentPaise,
        reasons: explainRefusals(decision.reasons, credit.breakdown),
      },
      `replay of decision ${record.id}`,
    ).toEqual({
      approved: record.approved,
      creditScore: record.creditScore,
      scoreBreakdown: record.scoreBreakdown,
      interestRateBp: record.interestRateBp,
      monthlyInstalmentPaise: record.monthlyInstalmentPaise,
      reasons: record.reasons,
    });
  }
  return rows.length;
}

/**
 * Every record with its inputs, by a plain select and join: the reference reading. A record made
 * before migration 0009 has no key and its own copy.
 */
function plainDecisions() {
  return backend()
    .database()
    .select({
      ...getTableColumns(decisionRecords),
      inputs: sql<string>`coalesce(${decisionInputs.inputs}, ${decisionRecords.inputs})`,
    })
    .from(decisionRecords)
    .leftJoin(decisionInputs, eq(decisionInputs.digest, decisionRecords.inputsDigest));
}

/** A record as a plain select reads it, its JSON columns parsed apart: the reference reading. */
export function toDecisionRecord(row: DecisionRow): DecisionRecord {
  const {
    seq: _seq,
    inputsDigest: _key,
    request,
    inputs,
    scoreBreakdown,
    reasons,
    ...columns
  } = row;
  return {
    ...columns,
    request: JSON.parse(request),
    inputs: JSON.parse(inputs),
    scoreBreakdown: JSON.parse(scoreBreakdown),
    reasons: JSON.parse(reasons),
  };
}

/** A customer's decision rows as a plain select reads them, newest first. */
export function plainDecisionRows(customerId: number): Promise<DecisionRow[]> {
  return plainDecisions()
    .where(eq(decisionRecords.customerId, customerId))
    .orderBy(desc(decisionRecords.seq));
}

/**
 * Sends create-loan for a customer past MAX_LOANS_IN_A_DECISION, with and without an
 * Idempotency-Key, and expects each refused as `loan-history-too-long` naming the count, without
 * `Retry-After`, and nothing stored.
 */
export async function expectBookingRefusedAsTooLong(
  body: { customer_id: number },
  loanCount: number,
): Promise<void> {
  const before = await tableCounts();
  const headerSets: Record<string, string>[] = [
    {},
    { "Idempotency-Key": `long-history-${body.customer_id}` },
  ];
  for (const headers of headerSets) {
    const refused = await call("/create-loan", { body, headers });
    const problem = await expectProblem(refused, 409);
    expect(problem.type).toBe("/problems/loan-history-too-long");
    expect(problem.detail).toContain(`${loanCount} loans`);
    expect(refused.headers.get("retry-after")).toBeNull();
  }
  expect(await tableCounts()).toEqual(before);
}
