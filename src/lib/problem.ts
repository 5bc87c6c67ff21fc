import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/*
 * The one error shape of the API: RFC 9457 problem details, always `application/problem+json`,
 * always with the request id. Every problem is built here from one catalogue (kind → status,
 * title), so a kind and its status can never disagree; anything that goes wrong ends up here,
 * either thrown as a ProblemError or turned into one by the app's error handler.
 */

export const CATALOGUE = {
  "validation-error": { status: 400, title: "Your request is not valid" },
  "malformed-json": { status: 400, title: "The request body is not valid JSON" },
  "bad-request": { status: 400, title: "Bad request" },
  "unsupported-transfer-encoding": {
    status: 400,
    title: "The request's Transfer-Encoding is not supported",
  },
  "request-timeout": { status: 408, title: "The request took too long to arrive" },
  unauthorized: { status: 401, title: "Authentication required" },
  "not-found": { status: 404, title: "Not found" },
  "method-not-allowed": { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  "payload-too-large": { status: 413, title: "The request body is too large" },
  "expectation-failed": { status: 417, title: "The request's expectation cannot be met" },
  "headers-too-large": { status: 431, title: "The request's headers are too large" },
  "unsupported-media-type": { status: 415, title: "The request body must be JSON" },
  "unsupported-content-encoding": {
    status: 415,
    title: "The request body's Content-Encoding is not supported",
  },
  "idempotency-key-reused": {
    status: 422,
    title: "Idempotency-Key reused with a different request",
  },
  "amount-below-interest-due": {
    status: 422,
    title: "The payment does not cover this period's interest",
  },
  "amount-exceeds-payoff": { status: 422, title: "The payment is more than the payoff amount" },
  "amount-below-final-installment": {
    status: 422,
    title: "The final instalment must be paid in full",
  },
  "loan-closed": { status: 409, title: "The loan is repaid and closed" },
  "loan-not-started": { status: 409, title: "The loan has not started yet" },
  "before-last-payment": { status: 409, title: "The payment is dated before the loan's latest" },
  "schedule-beyond-calendar": {
    status: 409,
    title: "The loan's schedule runs past the last date the calendar can write",
  },
  "loan-history-too-long": {
    status: 409,
    title: "The customer holds the most loans one customer may",
  },
  "too-many-requests": { status: 429, title: "Too many requests" },
  "internal-error": { status: 500, title: "Internal server error" },
  "service-unavailable": { status: 503, title: "Service temporarily unavailable" },
  "not-ready": { status: 503, title: "The service is not ready" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemKind = keyof typeof CATALOGUE;

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemInit {
  kind: ProblemKind;
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** RFC 9457 extension members: machine-readable facts of the problem (a code, an amount). */
  extensions?: Record<string, unknown>;
}

export class ProblemError extends Error {
  constructor(readonly problem: ProblemInit) {
    super(problem.detail);
    this.name = "ProblemError";
  }
}

export function problemResponse(c: Context, init: ProblemInit): Response {
  const body = problemBody(init, new URL(c.req.url).pathname, c.get("requestId") ?? "unknown");
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { "Content-Type": "application/problem+json", ...init.headers },
  });
}

/** The problem document itself, for an edge that answers without the app (src/node/client-errors.ts). */
export function problemBody(init: ProblemInit, instance: string, requestId: string) {
  const { status, title } = CATALOGUE[init.kind];
  return {
    ...init.extensions,
    type: `/problems/${init.kind}`,
    title,
    status,
    detail: init.detail,
    instance,
    request_id: requestId,
    errors: init.errors ?? [],
  };
}

/* The problems more than one place raises, each written once. */

export function validationProblem(errors: FieldError[]): ProblemError {
  const fields = [...new Set(errors.map((e) => e.field))].join(", ");
  return new ProblemError({
    kind: "validation-error",
    detail: `Invalid or missing field(s): ${fields}.`,
    errors,
  });
}

/*
 * The 404s for an id the client sent. Each names that id in `errors` (a body field by its name, a
 * path id by its OpenAPI parameter's name), as every other 4xx for a client's input names its field.
 */

export function unknownCustomerProblem(customerId: number): ProblemError {
  return notFoundProblem(`Customer ${customerId} does not exist.`, [
    { field: "customer_id", message: "does not exist" },
  ]);
}

export function unknownLoanProblem(loanId: number): ProblemError {
  return notFoundProblem(`Loan ${loanId} does not exist.`, [
    { field: "loan_id", message: "does not exist" },
  ]);
}

/** Either id may be the wrong one (or both), and one lookup cannot tell which: both are named. */
export function customerHasNoLoanProblem(customerId: number, loanId: number): ProblemError {
  return notFoundProblem(`Customer ${customerId} has no loan ${loanId}.`, [
    { field: "customer_id", message: `has no loan ${loanId}` },
    { field: "loan_id", message: `is not a loan of customer ${customerId}` },
  ]);
}

export function unknownDecisionProblem(decisionId: string): ProblemError {
  return notFoundProblem(`Decision ${decisionId} does not exist.`, [
    { field: "decision_id", message: "does not exist" },
  ]);
}

/** Never sent, or past its retention: the same to its report. */
export function unknownIngestJobProblem(jobId: string): ProblemError {
  return notFoundProblem(`No ingest job ${jobId} is known.`, [
    { field: "job_id", message: "is not known" },
  ]);
}

function notFoundProblem(detail: string, errors: FieldError[]): ProblemError {
  return new ProblemError({ kind: "not-found", detail, errors });
}

export function malformedJsonProblem(): ProblemError {
  return new ProblemError({
    kind: "malformed-json",
    detail: "The request body could not be parsed as JSON.",
    errors: [{ field: "body", message: "is not valid JSON" }],
  });
}

export function unsupportedMediaTypeProblem(): ProblemError {
  return new ProblemError({
    kind: "unsupported-media-type",
    detail: "Send the body as JSON with `Content-Type: application/json`.",
    errors: [{ field: "Content-Type", message: "must be application/json" }],
  });
}

/** Names `body`, as every other 4xx for a client's input names its field (its errors were empty). */
export function payloadTooLargeProblem(maxBytes: number, what = "The request body"): ProblemError {
  return new ProblemError({
    kind: "payload-too-large",
    detail: `${what} exceeds ${maxBytes / 1024} KB.`,
    errors: [{ field: "body", message: `must be at most ${maxBytes / 1024} KB` }],
  });
}

/**
 * The deployment's settings do not parse (the Worker reads them at its first request): every
 * request is refused, naming the settings and why. The reasons are the schema's own words, never
 * a value, so no secret can be in them.
 */
export function settingsProblem(problems: FieldError[]): ProblemError {
  const fields = [...new Set(problems.map((problem) => problem.field))].join(", ");
  return new ProblemError({
    kind: "not-ready",
    detail: `Not ready: the deployment's settings are not valid (${fields}).`,
    errors: problems,
    headers: { "Cache-Control": "no-store", "Retry-After": "5" },
  });
}

/** `what` the key's first use differed in: "body" (create-loan) or "request" (path and body). */
export function idempotencyKeyReusedProblem(what: "body" | "request"): ProblemError {
  return new ProblemError({
    kind: "idempotency-key-reused",
    detail: `This Idempotency-Key was already used with a different request${what === "body" ? " body" : ""}.`,
    errors: [{ field: "Idempotency-Key", message: `was used with a different ${what}` }],
  });
}

export function unauthorizedProblem(detail: string, realm: string): ProblemError {
  return new ProblemError({
    kind: "unauthorized",
    detail,
    headers: { "WWW-Authenticate": `Bearer realm="${realm}"` },
  });
}

/** A 503 the client may retry after `retryAfterSeconds`; `detail` says what was done, if anything. */
export function serviceUnavailableProblem(detail: string, retryAfterSeconds: number): ProblemError {
  return new ProblemError({
    kind: "service-unavailable",
    detail,
    headers: { "Retry-After": String(retryAfterSeconds) },
  });
}

export function conflictProblem(detail: string, retryAfterSeconds?: number): ProblemError {
  return new ProblemError({
    kind: "conflict",
    detail,
    ...(retryAfterSeconds === undefined
      ? {}
      : { headers: { "Retry-After": String(retryAfterSeconds) } }),
  });
}
