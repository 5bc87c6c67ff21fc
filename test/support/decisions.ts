import { desc, eq } from "drizzle-orm";
import { expect } from "vitest";
import type { DecisionInputs } from "../../src/db/decision-inputs";
import type { DecisionRecord, NewDecisionRecord } from "../../src/db/decisions";
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
 * Records with their inputs, by plain selects and the parts put together here: the reference
 * reading. A record names its parts in its own `inputs`; one made before parts names a whole copy
 * by `inputs_digest`, and one made before migration 0009 keeps its own.
 */
async function plainDecisions(customerId?: number): Promise<DecisionRow[]> {
  const db = backend().database();
  const rows = await db
    .select()
    .from(decisionRecords)
    .where(customerId === undefined ? undefined : eq(decisionRecords.customerId, customerId))
    .orderBy(desc(decisionRecords.seq));
  const stored = new Map(
    (await db.select().from(decisionInputs)).map((copy) => [copy.digest, copy.inputs]),
  );
  const storedText = (digest: string) => {
    const text = stored.get(digest);
    if (text === undefined) throw new Error(`stored inputs ${digest} are missing`);
    return text;
  };
  return rows.map((row) => {
    if (row.inputsDigest !== null) return { ...row, inputs: storedText(row.inputsDigest) };
    const own = JSON.parse(row.inputs) as { parts?: string[]; borrower: unknown };
    if (!own.parts) return row;
    const loans = own.parts.flatMap((digest) => JSON.parse(storedText(digest)) as unknown[]);
    return { ...row, inputs: JSON.stringify({ borrower: own.borrower, loans }) };
  });
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

/**
 * Checks the stored inputs a customer's records read: how many of their reads find nothing
 * stored, and how many of the copies they read count other than every record that reads them.
 * A record reads each part it names, or its whole copy from before parts; one made before
 * migration 0009 reads none.
 */
export async function storedInputsChecked(customerId: number) {
  const [checked] = await backend().query<{ missing: number; miscounted: number }>(
    `WITH reads(customer_id, digest) AS (
       SELECT customer_id, inputs_digest FROM decision_records WHERE inputs_digest IS NOT NULL
       UNION ALL
       SELECT r.customer_id, p.value FROM decision_records r, json_each(r.inputs, '$.parts') p
       WHERE r.inputs_digest IS NULL)
     SELECT
       (SELECT COUNT(*) FROM reads WHERE customer_id = ?1
          AND digest NOT IN (SELECT digest FROM decision_inputs)) AS missing,
       (SELECT COUNT(*) FROM decision_inputs i
          WHERE i.digest IN (SELECT digest FROM reads WHERE customer_id = ?1)
          AND i.records != (SELECT COUNT(*) FROM reads WHERE reads.digest = i.digest)) AS miscounted`,
    [customerId],
  );
  return checked;
}

/** A customer's decision rows as the reference reading reads them, newest first. */
export function plainDecisionRows(customerId: number): Promise<DecisionRow[]> {
  return plainDecisions(customerId);
}

/**
 * Sends create-loan for a customer at or past LOANS_PER_CUSTOMER_AT_MOST, with and without an
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

/** A refusal's record as the use case builds it, having read `inputs`, for the data layer's tests. */
export function refusalRecordReading(
  customerId: number,
  inputs: DecisionInputs,
): NewDecisionRecord {
  return {
    id: crypto.randomUUID(),
    customerId,
    createdAt: new Date().toISOString(),
    asOfDate: "2026-01-01",
    modelVersion: MODEL_VERSION,
    idempotencyKey: null,
    approved: false,
    creditScore: 0,
    interestRateBp: 1_200,
    monthlyInstalmentPaise: 1,
    message: "refused",
    startDate: null,
    endDate: null,
    request: { loanAmountPaise: 1, interestRateBp: 1_200, tenure: 12 },
    inputs,
    scoreBreakdown: [],
    reasons: [],
  };
}
