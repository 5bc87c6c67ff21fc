import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { databaseErrorKind } from "../db/error-kind";
import {
  databaseDamage,
  idRangeExhaustedTable,
  isMissingSchemaError,
  isStorageFullError,
  isTransientDatabaseError,
  mayHaveBeenApplied,
  whatDamageMeans,
} from "../db/errors";
import { log } from "../lib/log";
import {
  malformedJsonProblem,
  ProblemError,
  type ProblemInit,
  problemResponse,
  unsupportedMediaTypeProblem,
} from "../lib/problem";
import { isRateLimitedWrite } from "../lib/security/paths";
import type { Telemetry } from "../telemetry";

/* Every failure becomes a problem+json response. A 5xx says what happened, never how. */

/** Space comes back when an operator frees it, not within a second: clients wait longer. */
const STORAGE_FULL_RETRY_AFTER_S = 30;

export const onError: ErrorHandler = (error, c) => {
  if (error instanceof ProblemError) return problemResponse(c, error.problem);
  if (error instanceof HTTPException) {
    // A 500 from Hono itself is a bug of ours (its message names internals), not the database's.
    if (error.status === 500) return unhandled(c, error);
    return problemResponse(c, fromHttpException(error));
  }
  recordDatabaseError(c, error);
  // Not a 500: nothing was written, and the request succeeds as is once the operator frees space.
  if (isStorageFullError(error)) {
    logError(c, "database out of space (SQLITE_FULL)", error);
    return problemResponse(c, {
      kind: "service-unavailable",
      detail: "The database is out of storage space. Nothing was changed; retry the request later.",
      headers: { "Retry-After": String(STORAGE_FULL_RETRY_AFTER_S) },
    });
  }
  // Not a 500 either: the code is fine, a page of the database file is not. Nothing was written
  // (the failed statement's transaction is rolled back), and no retry helps, hence no Retry-After:
  // the server does not repair the file, an operator restores it from a backup. The Node server
  // logs the file and what to do once (src/node/native-libsql.ts) and /readyz then says damaged.
  // The log names the code SQLite reported, and the detail what it means: SQLITE_NOTADB is a file
  // whose header is not a database's (overwritten), not a part of it that cannot be read.
  const damage = databaseDamage(error);
  if (damage) {
    logError(c, `database damaged (${damage})`, error);
    return problemResponse(c, {
      kind: "service-unavailable",
      detail: `The database is damaged: ${whatDamageMeans(damage, "this request needs")}. Nothing was changed; the database must be restored from a backup before this request can succeed.`,
    });
  }
  if (isTransientDatabaseError(error)) {
    logError(c, "database unavailable", error);
    // A write whose outcome the database did not give: "nothing was changed" was said of loans
    // and payments that had committed, and a client without a key that retried did them twice.
    const unconfirmedWrite =
      isRateLimitedWrite(c.req.method, c.req.path) && mayHaveBeenApplied(error);
    return problemResponse(c, {
      kind: "service-unavailable",
      detail: unconfirmedWrite
        ? "The database did not confirm this write, so it may or may not have been done. Send it again with the same Idempotency-Key to get its answer; without one, check whether it was done before sending it again."
        : "The database is unavailable. Nothing was changed; retry the request.",
      headers: { "Retry-After": "1" },
    });
  }
  // No retry helps (hence no Retry-After), yet nothing is wrong with the request: the ids a
  // workbook brought reach the top of the range an API client can hold exactly.
  const exhaustedTable = idRangeExhaustedTable(error);
  if (exhaustedTable) {
    logError(c, `no id left below 2^53 in ${exhaustedTable}`, error);
    return problemResponse(c, {
      kind: "service-unavailable",
      detail: `The database has no id left for a new row in ${exhaustedTable}: its largest id is at the API's maximum, ${Number.MAX_SAFE_INTEGER}. Nothing was changed; an operator must renumber the ingested ids.`,
    });
  }
  // The schema lacks what this release uses: usually deployed before its migrations (/readyz then
  // names them), else a table or column changed by hand. Not a 500 that reads as a bug in the code.
  if (isMissingSchemaError(error)) {
    logError(c, "database schema behind the code", error);
    return problemResponse(c, {
      kind: "not-ready",
      detail:
        "Not ready: a table or column this release uses is missing from the database. Apply the migrations (GET /readyz names any not applied).",
      headers: { "Retry-After": "5" },
    });
  }
  return unhandled(c, error);
};

function unhandled(c: Context, error: Error): Response {
  logError(c, "unhandled error", error);
  return problemResponse(c, {
    kind: "internal-error",
    detail: `Something went wrong on our side. Quote request id ${c.get("requestId")} when reporting it.`,
  });
}

export const onNotFound: NotFoundHandler = (c) =>
  problemResponse(c, {
    kind: "not-found",
    // The path as asked, like the problem's instance: the router's drops a last trailing slash.
    detail: `There is no resource at ${new URL(c.req.url).pathname}.`,
  });

function fromHttpException(error: HTTPException): ProblemInit {
  switch (error.status) {
    // The validator's 400: a body that does not parse (the API validates JSON only).
    case 400:
      return malformedJsonProblem().problem;
    case 413:
      return { kind: "payload-too-large", detail: error.message };
    case 415:
      return unsupportedMediaTypeProblem().problem;
    default:
      return { kind: "bad-request", detail: error.message };
  }
}

function recordDatabaseError(c: Context, error: Error): void {
  const kind = databaseErrorKind(error);
  const telemetry = c.get("telemetry") as Telemetry | undefined;
  if (kind && telemetry) telemetry.recordDatabaseError(kind);
}

function logError(c: Context, what: string, error: Error): void {
  // Only the error's class and the request id: messages can carry SQL parameters (personal data).
  log("error", what, { error: error.name, request_id: c.get("requestId") });
}
