import { expect } from "vitest";
import type { ProblemError } from "../../src/lib/problem";

/** Asserts an RFC 9457 problem response and returns its body. */
export async function expectProblem(response: Response, status: number, field?: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as {
    type: string;
    title: string;
    status: number;
    detail: string;
    request_id: string;
    errors: { field: string; message: string }[];
  };
  expect(body).toMatchObject({
    status,
    type: expect.stringMatching(/^\/problems\//),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(body.request_id).toMatch(/\S/);
  expect(JSON.stringify(body)).not.toMatch(/\bat \S+:\d+|node_modules|\.ts:\d+/);
  if (field !== undefined) expect(body.errors.map((e) => e.field)).toContain(field);
  return body;
}

/**
 * Asserts that a keyed write gave up after losing every attempt's race: a retryable 503 with
 * Retry-After that tells the client to send it again with the same key (src/routes/retried-write.ts).
 */
export async function expectContendedRetry(write: Promise<unknown>) {
  const lost = await write.then(
    () => null,
    (error: unknown) => error,
  );
  expect((lost as ProblemError | null)?.problem).toMatchObject({
    kind: "service-unavailable",
    headers: { "Retry-After": "1" },
  });
  expect((lost as ProblemError).problem.detail).toContain("same Idempotency-Key");
}
