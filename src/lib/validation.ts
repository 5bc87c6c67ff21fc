import type { z } from "@hono/zod-openapi";
import { type FieldError, validationProblem } from "./problem";

type Issue = z.ZodError["issues"][number];

/**
 * zod's int check also refuses a whole number past 2^53, in the field's "must be an integer"
 * words, beside the field's own range check, which says it rightly ("is too large").
 */
function isSupersededIntegerRange(issue: Issue, issues: readonly Issue[]): boolean {
  const samePath = (other: Issue) =>
    other !== issue && other.path.map(String).join(".") === issue.path.map(String).join(".");
  return issue.code === "too_big" && issue.origin === "int" && issues.some(samePath);
}

/** zod issues → one `{field, message}` per problem, with the field named as the client sent it. */
function fieldErrors(error: z.ZodError, target: string): FieldError[] {
  const named = error.issues
    .filter((issue) => !isSupersededIntegerRange(issue, error.issues))
    .map((issue) => fieldError(issue, target));
  // Two checks of one field can share their wording (phone_number's): say it once.
  return named.filter(
    (one, index) =>
      named.findIndex((other) => other.field === one.field && other.message === one.message) ===
      index,
  );
}

function fieldError(issue: Issue, target: string): FieldError {
  const path = issue.path.map(String).join(".");
  // Header schemas are keyed in lower case; name the header as documented and as the other
  // problems do (Idempotency-Key, Content-Type), so one header has one field name.
  const named = target === "header" ? path.replace(/(^|-)[a-z]/g, (s) => s.toUpperCase()) : path;
  if (named !== "") return { field: named, message: issue.message };
  if (target !== "json") return { field: target, message: issue.message };
  // An array, null or a string where the body's object belongs: zod's own wording ("Invalid
  // input: expected object, received array") is not ours.
  const message = issue.code === "invalid_type" ? "must be a JSON object" : issue.message;
  return { field: "body", message };
}

/** The validation hook every route shares: a failed parse becomes a 400 problem. */
export function validationHook(
  result: { target: string } & ({ success: true } | { success: false; error: z.ZodError }),
): void {
  if (!result.success) throw validationProblem(fieldErrors(result.error, result.target));
}
