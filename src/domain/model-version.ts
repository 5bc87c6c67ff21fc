/*
 * The version of the scoring and decision rules stamped on every decision record, so a record can
 * be replayed under the rules that made it. test/domain/model-version.node.test.ts hashes the
 * code of the files below (not their comments, blank lines or indentation) and fails when it
 * changes without a new version: bump MODEL_VERSION, then put the hash the test prints in
 * MODEL_RULES_SHA256.
 */

/*
 * 2025-06.1: the first recorded model. 2026-12.1: a closed (repaid) loan no longer counts toward
 * the approved limit, the 50 % rule or the current-loan components of the score. 2026-12.2: no
 * decision changes; servicing gained openingState (property-tested equal to openLoan's state).
 * 2026-12.3: no decision changes; the calendar arithmetic (dates.ts) works without Date objects,
 * property-tested equal to its definitions. 2026-12.4: no decision changes; schedules are built
 * without a step object per period and with their start date parsed once (faster statements),
 * property-tested equal to the full schedule and to Date.UTC's calendar. 2026-12.5: no decision
 * changes; 2026-12.4's edges made as before it (a missing on-time count settles no period, a bad
 * start date is refused with the parser's own message), found by a differential check.
 * 2026-12.6: no changes in behaviour; the opening ledger asks amortisationSchedule for its first
 * rows instead of restating its starting point. 2026-12.7: no changes in behaviour; openLoan and
 * openingState share the schedule's starting point and the count of settled periods. 2026-12.8:
 * the EMI is the formula's exact value rounded half-up (it was off by a paisa near a half paisa
 * and at large amounts at tiny rates), so a decision on the 50 % rule can differ. 2026-12.9: no
 * decision changes for any loan that can now be stored; the calendar refuses to write a date past
 * 9999-12-31 (it wrote a five-digit year, which compared wrongly as text), and canAddMonths says
 * beforehand whether a date can be written. 2026-12.10: no decision changes; servicing refuses a
 * payment dated before the loan's start date (LOAN_NOT_STARTED), which had closed loans before
 * they began and counted the payment on time, and one dated before the loan's latest payment.
 * 2026-12.11: no decision changes; the version also names field-rules.ts (the EMI's bounds) and
 * principal-reasons.ts (a reason's wording and score factors, which a replay gives back), whose
 * changes had kept the old version.
 * 2026-12.12: a repaid loan's instalments stop falling due when it closes (those it paid ahead of
 * their months still count), so an early payoff no longer scores as months of missed EMIs.
 * 2026-12.13: an EMI recalculated after a payment is at least a paisa (it could round to 0.00,
 * whose periods asked for nothing and fell overdue); the displayed instalment the 50 % rule reads
 * can differ by that paisa.
 * 2026-12.14: an instalment falling due on the as-of date counts as due only once it is paid on
 * time (until the day is out it can be; it had scored as missed), and a payoff on a due date
 * settles that day's instalment rather than missing it.
 * 2026-12.15: those two rules read which instalments were paid from the periods settled (late or
 * on time), not the on-time count: a late instalment followed by one paid on its due date, or by a
 * payoff, had dropped out of the instalments due.
 * 2026-12.16: no decision changes; today's date is read by the app, not the calendar (dates.ts
 * had a todayUtc reading the clock, which the decisions never called), and loan-terms.ts loses a
 * repaymentsLeft only its test called (the API's comes from the servicing state).
 * 2026-12.17: no changes in behaviour; the tenure's bounds moved to loan-terms.ts, beside the
 * instalment arithmetic that is exact within them (loan-terms.ts and field-rules.ts imported each
 * other), which leaves field-rules.ts, the checks of a request's or a row's fields, outside the
 * model.
 * 2026-12.18: no decision changes; a reason's message writes its amounts from the integer paise
 * (money.ts paiseToRupeesText), where toFixed(2) of paise / 100 named totals past ₹7 × 10^13 a
 * paisa off.
 * 2026-12.19: a closed loan is not current whatever its closed_on: a workbook loan whose count
 * reaches its tenure closes on its last due date, which may lie after the as-of date, and had
 * counted toward the limit, the 50 % rule and the score's current loans while shown closed.
 */
export const MODEL_VERSION = "2026-12.19";

/**
 * The files (in src/domain/) whose text is the model: the score, the decision, their arithmetic
 * and the explanation of the reasons; the test checks it is everything they import.
 */
export const MODEL_RULES_FILES = [
  "assessment.ts",
  "credit-score.ts",
  "dates.ts",
  "decision.ts",
  "loan-terms.ts",
  "money.ts",
  "servicing.ts",
  "amortisation.ts",
  "principal-reasons.ts",
] as const;

/**
 * SHA-256 of those files' code at MODEL_VERSION (as TypeScript prints it without comments), in
 * the order above.
 */
export const MODEL_RULES_SHA256 =
  "f84c5e528ed0c9c2fe5b1204eb6ee11e6f58e59570506c9c38e3691a4bac1a89";
