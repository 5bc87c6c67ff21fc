import type { MiddlewareHandler } from "hono";
import { ProblemError } from "./problem";
import { bytesEqual, sha256 } from "./security/api-keys";

/**
 * Requires `Authorization: Bearer <token>` equal to the token `expected` returns. Compared in
 * constant time: both sides are hashed first, so neither length nor content leaks through timing.
 */
export function requireBearerToken(
  expected: (env: Record<string, unknown>) => string | undefined,
  realm: string,
): MiddlewareHandler {
  return async (c, next) => {
    const token = expected(c.env as Record<string, unknown>);
    const presented = /^Bearer (.+)$/i.exec(c.req.header("Authorization") ?? "")?.[1];
    if (!token || !presented || !(await constantTimeEqual(presented, token))) {
      throw new ProblemError({
        kind: "unauthorized",
        status: 401,
        detail: token
          ? "A valid bearer token is required."
          : "This endpoint is disabled: no token is configured.",
        headers: { "WWW-Authenticate": `Bearer realm="${realm}"` },
      });
    }
    await next();
  };
}

/** Both sides are hashed first, so neither the token's length nor its content leaks. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [hashA, hashB] = await Promise.all([sha256(a), sha256(b)]);
  return bytesEqual(hashA, hashB);
}
