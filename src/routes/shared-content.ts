import { z } from "@hono/zod-openapi";
import { CATALOGUE, type ProblemError, problemBody } from "../lib/problem";

/*
 * How the route contracts declare their content for the OpenAPI document: JSON bodies, the
 * problem+json answers of every status, and the headers a generated client sees. The fields
 * inside the bodies are src/routes/shared-schemas.ts's.
 */

const fieldErrorSchema = z
  .object({ field: z.string(), message: z.string() })
  .openapi("FieldError", { description: "One bad field (or header, or the body) and why" });

// Not an enum: a client generated with one would fail on a kind a later release adds.
const PROBLEM_TYPES_DESCRIPTION = `One of these, each always with its status: ${Object.entries(
  CATALOGUE,
)
  .map(([kind, { status }]) => `/problems/${kind} (${status})`)
  .join(", ")}`;

export const problemSchema = z
  .object({
    type: z.string().openapi({
      example: "/problems/validation-error",
      description: PROBLEM_TYPES_DESCRIPTION,
    }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    request_id: z.string(),
    errors: z.array(fieldErrorSchema),
  })
  .openapi("Problem");

/** Response headers, declared so that a generated client exposes them: it sees only these. */
export type ResponseHeaders = Record<string, z.ZodType>;

/** On every response, success and problem alike (src/lib/response-headers.ts). */
const REQUEST_ID = {
  "X-Request-Id": z.string().openapi({
    description: "This request's id (the caller's own X-Request-Id when it is safe to echo)",
  }),
} satisfies ResponseHeaders;

const RETRY_AFTER = {
  "Retry-After": z.number().int().openapi({ description: "Seconds to wait before retrying" }),
} satisfies ResponseHeaders;

/** For a status some of whose answers carry no Retry-After (each description says which). */
export const OPTIONAL_RETRY_AFTER = {
  "Retry-After": RETRY_AFTER["Retry-After"].optional(),
} satisfies ResponseHeaders;

const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1 to 255 visible ASCII characters")
  .optional()
  .openapi({
    // No example: a tool filling requests from examples would send one key for every caller, and
    // keys are one namespace per deployment, so the second caller's different body is a 422.
    description:
      "Makes retries safe: the same key with the same body returns the first response for 24 hours. Keys are one namespace per deployment: send a new UUID v4 for each request, such as 3f6c1c1e-8d0f-4d49-9a51-0c6f2b7f1a10.",
  });

/** The request headers of the three writes: register, create-loan, make-payment. */
export const IDEMPOTENCY_KEY_HEADERS = z.object({ "idempotency-key": idempotencyKeySchema });

/** Set on a write's answer replayed from its Idempotency-Key's stored response. */
export const IDEMPOTENT_REPLAYED_HEADER = "Idempotent-Replayed";

export const IDEMPOTENT_REPLAYED = {
  [IDEMPOTENT_REPLAYED_HEADER]: z.literal("true").optional().openapi({
    description:
      "Present when this is the stored response of an earlier request with the same Idempotency-Key",
  }),
} satisfies ResponseHeaders;

/**
 * A problem+json response of a route, for the OpenAPI document; `schema` when a route's problems
 * carry fields of their own (make-payment's refusals).
 */
export function problemContent<S extends z.ZodType = typeof problemSchema>(
  description: string,
  headers: ResponseHeaders = {},
  schema?: S,
) {
  return {
    // Typed as S, not z.ZodType: the typed client reads a problem's body type from here.
    content: { "application/problem+json": { schema: (schema ?? problemSchema) as S } },
    description,
    headers: z.object({ ...REQUEST_ID, ...headers }),
  };
}

/**
 * A route's 404 for an id it looks up, with an example of it: `problem` is built by the catalogue's
 * own function, so the example names the fields (`errors`) the route's answer names.
 */
export function notFoundContent(description: string, problem: ProblemError, instance: string) {
  const { content, ...rest } = problemContent(description);
  const example = problemBody(problem.problem, instance, "5d3a8f0e-2c1b-4e7a-9f6d-1a2b3c4d5e6f");
  return {
    ...rest,
    content: {
      "application/problem+json": { ...content["application/problem+json"], example },
    },
  };
}

/**
 * Every 503's description. A write's own answers, which carry Retry-After, come ahead of the two
 * that carry none: appended after them, they read as a third without it.
 */
function unavailableDescription(write?: { notDone: string; maybeDone: string }): string {
  return `The database is unavailable, out of storage space or damaged, or the Node server is stopping and did not start the request (service-unavailable), or the deployment is not ready: its settings do not parse or its database lacks this release's migrations (not-ready), or a create-loan or make-payment with an Idempotency-Key lost the write race to concurrent requests three times running (service-unavailable; not done by this request: send it again with the same key)${write?.notDone ?? ""}; retry after Retry-After.${write?.maybeDone ?? ""} Two 503s carry no Retry-After, as no retry helps (both service-unavailable): the database is damaged (a part of it this request needs cannot be read, or its file no longer reads as a database: an operator must restore it from a backup), or it has no id left below 2^53 for a new row (an operator must renumber the ingested ids)`;
}

/** A write's own 503s: its rate limiter failed (not done), or its commit went unconfirmed (maybe done). */
const WRITE_UNAVAILABLE = {
  notDone:
    ", or the write rate limiter is unavailable (service-unavailable, `errors` names WRITE_RATE_LIMITER): the write was not done",
  maybeDone:
    " One may have been done (service-unavailable, with Retry-After): the database did not confirm this write, its connection lost, reset or timed out after it was sent, so it may or may not have been done. Send it again with the same Idempotency-Key for its answer; without one, check whether it was done before sending it again.",
};

/**
 * Error responses, spread into every route so the document lists them once per status. Not `as
 * const`: spreading a readonly object turns its numeric keys into strings ("404"), which the typed
 * client does not take for statuses, so it left every one of these out of its response types.
 * A GET's: the body's 413 and 415 are bodyProblemResponses', as the checks skip a GET's body.
 */
export const problemResponses = {
  400: problemContent(
    "Invalid request: malformed JSON, wrong types, missing fields or values out of range",
  ),
  401: problemContent("Missing or unknown API key (when API keys are on)", {
    "WWW-Authenticate": z.string().openapi({ description: "The scheme to use: Bearer" }),
  }),
  // Each route that looks something up overrides it with what: one text for all named a customer
  // and a loan where a route reads one or neither.
  404: problemContent("Not found"),
  405: problemContent("Method not allowed (see the Allow header)", {
    Allow: z.string().openapi({ description: "The methods this path answers" }),
  }),
  408: problemContent(
    "Node server only: the request did not arrive whole within 60 s (request-timeout; `errors` names `body` when its headers did); the connection is closed",
  ),
  417: problemContent(
    "Node server only: an `Expect` header other than 100-continue (expectation-failed); the connection is closed",
  ),
  431: problemContent(
    "Node server only: the request's headers are over 16 KB (headers-too-large); the connection is closed",
  ),
  500: problemContent("Unexpected error (no internals are disclosed)"),
  503: problemContent(unavailableDescription(), OPTIONAL_RETRY_AFTER),
};

/** A request with a JSON body (check-eligibility and the writes) may also be refused for the body. */
export const bodyProblemResponses = {
  ...problemResponses,
  413: problemContent("Request body over 64 KB"),
  415: problemContent(
    "Request body is not JSON, or is sent with a Content-Encoding other than identity",
    {
      "Accept-Encoding": z.literal("identity").optional().openapi({
        description:
          "On a Content-Encoding refusal only: the one coding the server takes (send the body uncompressed)",
      }),
    },
  ),
};

/** The writes under the rate limit (register, create-loan, make-payment) also answer 429. */
export const rateLimitedProblemResponses = {
  ...bodyProblemResponses,
  429: problemContent("Too many writes from this client; see Retry-After", RETRY_AFTER),
  503: problemContent(unavailableDescription(WRITE_UNAVAILABLE), OPTIONAL_RETRY_AFTER),
};

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true } as const;
}

export function jsonContent<T extends z.ZodType>(
  schema: T,
  description: string,
  headers: ResponseHeaders = {},
) {
  return {
    content: { "application/json": { schema } },
    description,
    headers: z.object({ ...REQUEST_ID, ...headers }),
  };
}
