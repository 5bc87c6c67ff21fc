/*
 * The version of the scoring and decision rules stamped on every decision record, so a record can
 * be replayed under the rules that made it. test/domain/model-version.node.test.ts hashes the
 * files below and fails when they change without a new version: bump MODEL_VERSION, then put the
 * hash the test prints in MODEL_RULES_SHA256.
 */

export const MODEL_VERSION = "2025-06.1";

/** The files (in src/domain/) whose text is the model: the score, the decision and their arithmetic. */
export const MODEL_RULES_FILES = [
  "assessment.ts",
  "credit-score.ts",
  "dates.ts",
  "decision.ts",
  "loan-terms.ts",
  "money.ts",
] as const;

/** SHA-256 of those files' text at MODEL_VERSION (LF line endings, in the order above). */
export const MODEL_RULES_SHA256 =
  "694871b3fb4f7c3ed2b70ecd0847beb3562046c52c7f5bf3df1ff273332c640f";
