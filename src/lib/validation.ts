import type { z } from "@hono/zod-openapi";
import { type FieldError, validationProblem } from "./problem";

/** zod issues → one `{field, message}` per problem, with the field named as the client sent it. */
function fieldErrors(error: z.ZodError, target: string): FieldError[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const field = path === "" ? (target === "json" ? "body" : target) : path;
    return { field, message: issue.message };
  });
}

/** The validation hook every route shares: a failed parse becomes a 400 problem. */
export function validationHook(
  result: { target: string } & ({ success: true } | { success: false; error: z.ZodError }),
): void {
  if (!result.success) throw validationProblem(fieldErrors(result.error, result.target));
}
