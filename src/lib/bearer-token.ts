import type { MiddlewareHandler } from "hono";
import { ProblemError } from "./problem";

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

export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [hashA, hashB] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  const bytesA = new Uint8Array(hashA);
  const bytesB = new Uint8Array(hashB);
  let difference = 0;
  for (let i = 0; i < bytesA.length; i++) difference |= (bytesA[i] ?? 0) ^ (bytesB[i] ?? 0);
  return difference === 0;
}
