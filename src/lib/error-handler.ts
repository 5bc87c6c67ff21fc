import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { isTransientDatabaseError } from "../db/errors";
import { log } from "./log";
import { ProblemError, type ProblemInit, problemResponse } from "./problem";

/* Every failure becomes a problem+json response. A 5xx says what happened, never how. */

export const onError: ErrorHandler = (error, c) => {
  if (error instanceof ProblemError) return problemResponse(c, error.problem);
  if (error instanceof HTTPException) return problemResponse(c, fromHttpException(error));
  if (isTransientDatabaseError(error)) {
    logError(c, "database unavailable", error);
    return problemResponse(c, {
      kind: "service-unavailable",
      status: 503,
      detail: "The database is unavailable. Nothing was changed; retry the request.",
      headers: { "Retry-After": "1" },
    });
  }
  logError(c, "unhandled error", error);
  return problemResponse(c, {
    kind: "internal-error",
    status: 500,
    detail: `Something went wrong on our side. Quote request id ${c.get("requestId")} when reporting it.`,
  });
};

export const onNotFound: NotFoundHandler = (c) =>
  problemResponse(c, {
    kind: "not-found",
    status: 404,
    detail: `There is no resource at ${c.req.path}.`,
  });

function fromHttpException(error: HTTPException): ProblemInit {
  switch (error.status) {
    case 400:
      return {
        kind: "malformed-json",
        status: 400,
        detail: "The request body could not be parsed as JSON.",
        errors: [{ field: "body", message: "is not valid JSON" }],
      };
    case 413:
      return { kind: "payload-too-large", status: 413, detail: error.message };
    case 415:
      return {
        kind: "unsupported-media-type",
        status: 415,
        detail: "Send the body as JSON with `Content-Type: application/json`.",
        errors: [{ field: "Content-Type", message: "must be application/json" }],
      };
    default:
      return {
        kind: "internal-error",
        status: error.status === 500 ? 500 : 400,
        detail: error.message,
      };
  }
}

function logError(c: Context, what: string, error: Error): void {
  // Only the error's class and the request id: messages can carry SQL parameters (personal data).
  log("error", what, { error: error.name, request_id: c.get("requestId") });
}
