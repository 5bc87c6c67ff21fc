import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/*
 * The one error shape of the API: RFC 9457 problem details, always `application/problem+json`,
 * always with the request id. Anything that goes wrong ends up here, either thrown as a
 * ProblemError or turned into one by the app's error handler.
 */

export interface FieldError {
  field: string;
  message: string;
}

export type ProblemKind =
  | "validation-error"
  | "malformed-json"
  | "unsupported-media-type"
  | "unsupported-content-encoding"
  | "payload-too-large"
  | "unauthorized"
  | "too-many-requests"
  | "not-found"
  | "method-not-allowed"
  | "conflict"
  | "idempotency-key-reused"
  | "service-unavailable"
  | "internal-error";

const TITLES: Record<ProblemKind, string> = {
  "validation-error": "Your request is not valid",
  "malformed-json": "The request body is not valid JSON",
  "unsupported-media-type": "The request body must be JSON",
  "unsupported-content-encoding": "The request body's Content-Encoding is not supported",
  "payload-too-large": "The request body is too large",
  unauthorized: "Authentication required",
  "too-many-requests": "Too many requests",
  "not-found": "Not found",
  "method-not-allowed": "Method not allowed",
  conflict: "Conflict",
  "idempotency-key-reused": "Idempotency-Key reused with a different request",
  "service-unavailable": "Service temporarily unavailable",
  "internal-error": "Internal server error",
};

export interface ProblemInit {
  kind: ProblemKind;
  status: ContentfulStatusCode;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

export class ProblemError extends Error {
  constructor(readonly problem: ProblemInit) {
    super(problem.detail);
    this.name = "ProblemError";
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  request_id: string;
  errors: FieldError[];
}

export function problemBody(c: Context, init: ProblemInit): ProblemBody {
  return {
    type: `/problems/${init.kind}`,
    title: TITLES[init.kind],
    status: init.status,
    detail: init.detail,
    instance: new URL(c.req.url).pathname,
    request_id: c.get("requestId") ?? "unknown",
    errors: init.errors ?? [],
  };
}

export function problemResponse(c: Context, init: ProblemInit): Response {
  return new Response(JSON.stringify(problemBody(c, init)), {
    status: init.status,
    headers: { "Content-Type": "application/problem+json", ...init.headers },
  });
}

export function validationProblem(errors: FieldError[]): ProblemError {
  const fields = [...new Set(errors.map((e) => e.field))].join(", ");
  return new ProblemError({
    kind: "validation-error",
    status: 400,
    detail: `Invalid or missing field(s): ${fields}.`,
    errors,
  });
}

export function notFoundProblem(detail: string): ProblemError {
  return new ProblemError({ kind: "not-found", status: 404, detail });
}
