import type { Context, Env, MiddlewareHandler } from "hono";
import { unauthorizedProblem } from "./problem";
import { bytesEqual } from "./security/api-keys";
import { sha256 } from "./sha256";

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1] ?? null;
}

/**
 * Requires `Authorization: Bearer <token>` equal to the token `expected` returns. Compared in
 * constant time: both sides are hashed first, so neither length nor content leaks through timing.
 */
export function requireBearerToken<E extends Env>(
  expected: (c: Context<E>) => string | null,
  realm: string,
): MiddlewareHandler<E> {
  return async (c, next) => {
    const token = expected(c);
    const presented = bearerToken(c.req.header("Authorization"));
    if (!token || !presented || !(await constantTimeEqual(presented, token))) {
      throw unauthorizedProblem(
        token
          ? "A valid bearer token is required."
          : "This endpoint is disabled: no token is configured.",
        realm,
      );
    }
    await next();
  };
}

/** Both sides are hashed first, so neither the token's length nor its content leaks. */
async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [hashA, hashB] = await Promise.all([sha256(a), sha256(b)]);
  return bytesEqual(hashA, hashB);
}
