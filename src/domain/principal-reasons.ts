import type { ScoreComponent, ScoreComponentName } from "./credit-score";
import type { Refusal, RefusalCode } from "./decision";

/*
 * The wording a lender puts in a refusal letter. Regulation B (US) asks for the principal
 * reasons in plain words; the RBI asks for the main reasons for a rejection in writing. The
 * machine-readable code stays the contract; these sentences are what a customer reads.
 */

export const PRINCIPAL_REASONS: Record<RefusalCode, string> = {
  CURRENT_LOANS_OVER_LIMIT: "Existing loans already exceed the credit limit",
  CREDIT_SCORE_TOO_LOW: "Credit score below the minimum required",
  OVER_APPROVED_LIMIT: "Amount requested exceeds the available credit limit",
  EMI_OVER_HALF_SALARY: "Excessive obligations in relation to income",
};

/** What each score component says about the borrower when it cost points. */
const SCORE_FACTOR_WORDING: Record<ScoreComponentName, string> = {
  on_time_repayment: "Instalments not paid on time",
  loan_history: "Limited credit history",
  current_year_activity: "Too many loans taken this year",
  approved_volume: "Limited experience with credit of this amount",
  current_loans_over_limit: "Current loans exceed the approved limit",
};

/** A letter names at most this many score factors. */
const MAX_SCORE_FACTORS = 4;

export interface ScoreFactor {
  component: ScoreComponentName;
  pointsLost: number;
  description: string;
}

export interface ExplainedRefusal extends Refusal {
  principalReason: string;
  /** Only on CREDIT_SCORE_TOO_LOW: the components that cost the most points, worst first. */
  scoreFactors?: ScoreFactor[];
}

/**
 * The components that cost the most points, worst first (ties keep the breakdown's order), at
 * most four; a component that cost nothing is not a reason. The override's cost is the points it
 * took away.
 */
export function scoreFactors(breakdown: readonly ScoreComponent[]): ScoreFactor[] {
  return breakdown
    .map((part) => ({
      component: part.component,
      pointsLost: part.max_points > 0 ? part.max_points - part.points : -part.points,
      description: SCORE_FACTOR_WORDING[part.component],
    }))
    .filter((factor) => factor.pointsLost > 0)
    .sort((a, b) => b.pointsLost - a.pointsLost)
    .slice(0, MAX_SCORE_FACTORS);
}

/** Each refusal with its letter wording; a low score also names what lowered it. */
export function explainRefusals(
  reasons: readonly Refusal[],
  breakdown: readonly ScoreComponent[],
): ExplainedRefusal[] {
  return reasons.map((reason) => ({
    ...reason,
    principalReason: PRINCIPAL_REASONS[reason.code],
    ...(reason.code === "CREDIT_SCORE_TOO_LOW" ? { scoreFactors: scoreFactors(breakdown) } : {}),
  }));
}
