import type { z } from "@hono/zod-openapi";
import { type FieldError, validationProblem } from "./problem";

/** zod issues → one `{field, message}` per problem, with the field named as the client sent it. */
function fieldErrors(error: z.ZodError, target: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    // Header schemas are keyed in lower case; name the header as documented and as the other
    // problems do (Idempotency-Key, Content-Type), so one header has one field name.
    const named = target === "header" ? path.replace(/(^|-)[a-z]/g, (s) => s.toUpperCase()) : path;
    const field = named === "" ? (target === "json" ? "body" : target) : named;
    return { field, message: issue.message };
  });
}

/** The validation hook every route shares: a failed parse becomes a 400 problem. */
export function validationHook(
  result: { target: string } & ({ success: true } | { success: false; error: z.ZodError }),
): void {
  if (!result.success) throw validationProblem(fieldErrors(result.error, result.target));
}
