import type { ScheduleBasis } from "./servicing";

/*
 * Kept out of servicing.ts, which the decision rules import: what a loan's answer says about its
 * displayed instalment is not a rule a decision record replays, so it is no new model version.
 */

/** Where a loan's displayed monthly_installment (ServicingState.monthlyInstalmentPaise) is from. */
export const INSTALMENT_BASES = ["workbook", "schedule"] as const;
export type InstalmentBasis = (typeof INSTALMENT_BASES)[number];

/**
 * A workbook loan shows the Monthly payment recorded in the workbook until its first API payment
 * replaces it with the schedule's EMI; a booked loan shows its EMI from the start. view-loan,
 * view-loans and view-statement all answer it from this one rule.
 */
export function instalmentBasisOf(
  scheduleBasis: ScheduleBasis,
  apiPayments: number,
): InstalmentBasis {
  return scheduleBasis === "reconstructed" && apiPayments === 0 ? "workbook" : "schedule";
}
