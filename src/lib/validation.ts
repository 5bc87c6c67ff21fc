import type { z } from "@hono/zod-openapi";
import { type FieldError, validationProblem } from "./problem";

/** zod issues → one `{field, message}` per problem, with the field named as the client sent it. */
function fieldErrors(error: z.ZodError, target: string): FieldError[] {
  return error.issues.map((issue) => {
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
  });
}

/** The validation hook every route shares: a failed parse becomes a 400 problem. */
export function validationHook(
  result: { target: string } & ({ success: true } | { success: false; error: z.ZodError }),
): void {
  if (!result.success) throw validationProblem(fieldErrors(result.error, result.target));
}
