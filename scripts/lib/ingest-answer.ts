import * as v from "valibot";
import {
  AcceptedBatchSchema,
  type JobReport,
  JobReportSchema,
  type StoredRows,
  StoredRowsSchema,
} from "../../src/ingest/job-report";
import { IngestRequestError } from "./ingest-request-error";
import { maskedQuery, shownUrl } from "./ingest-url";

/*
 * The ingest endpoints' answers as the client reads them: a 2xx checked against its endpoint's
 * schema, and what is not one (a redirect, a page that is not JSON, a problem) said in one line.
 */

/** What each endpoint answers when it succeeds, and what to call it in an error. */
export interface Answer<T> {
  schema: v.GenericSchema<unknown, T>;
  name: string;
}
export const ACCEPTED: Answer<unknown> = { schema: AcceptedBatchSchema, name: "acknowledgement" };
export const JOB_REPORT: Answer<JobReport> = { schema: JobReportSchema, name: "job report" };
export const STORED_ROWS: Answer<StoredRows> = { schema: StoredRowsSchema, name: "summary" };

export function redirectMessage(
  shown: string,
  url: URL,
  path: string,
  baseQuery: string,
  response: Response,
): string {
  const location = response.headers.get("location");
  if (!location) return `${shown} answered ${response.status} (a redirect) with no Location`;
  const target = new URL(location, url);
  // The base URL the operator meant, when the redirect keeps the endpoint's path.
  const base = target.pathname.endsWith(path)
    ? `${target.origin}${target.pathname.slice(0, -path.length)}`
    : null;
  // The --url's own query string goes with it (a gateway's key): suggested without it, the
  // operator ran into the gateway's refusal next.
  const query = baseQuery ? `${maskedQuery(baseQuery)} (the same query string as now)` : "";
  return `${shown} answered ${response.status}, a redirect to ${shownUrl(target)}: the script does not follow redirects (a POST would lose its body, the token would go to another address)${
    base ? `; run it with --url ${base}${query}` : "; check --url"
  }`;
}

export function parseJsonAnswer(shown: string, response: Response, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // A captive portal, a login page or another site: not the ingest endpoint, whatever it says.
    throw new IngestRequestError(
      `${shown} answered ${response.status} with ${describeBody(response, text)}, not the ingest endpoint's JSON: is --url the server's address?`,
      response.status,
    );
  }
}

/**
 * The answer as the endpoint's schema reads it. JSON of another shape (a proxy's `{}`, an older
 * release's report) used to be read as the report and crash the run with a TypeError.
 */
export function checkShape<T>(
  shown: string,
  response: Response,
  answer: Answer<T>,
  json: unknown,
): T {
  const parsed = v.safeParse(answer.schema, json);
  if (parsed.success) return parsed.output;
  // valibot reads a list as an object without keys: say what it is instead.
  const problems = Array.isArray(json)
    ? ["the body is a list, not an object"]
    : parsed.issues.map(
        (issue) =>
          // A key the object lacks is reported on the object, as "received undefined".
          `${v.getDotPath(issue) ?? "the body"} ${issue.type === "object" && issue.received === "undefined" ? "is missing" : issue.message}`,
      );
  const first = problems.slice(0, 3).join("; ");
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : "";
  throw new IngestRequestError(
    `${shown} answered ${response.status} with JSON that is not the ingest endpoint's ${answer.name} (${first}${more}): is --url the server's address, and does the server run this release?`,
    response.status,
  );
}

/** The problem's detail and fields, or for any other body a one-line summary of it. */
export function describeProblem(response: Response, text: string): string {
  try {
    const problem = JSON.parse(text) as {
      detail?: string;
      errors?: { field: string; message: string }[];
    };
    const fields = (problem.errors ?? []).slice(0, 5).map((e) => `${e.field} ${e.message}`);
    return [problem.detail, ...fields].filter(Boolean).join("; ");
  } catch {
    return text.trim() ? describeBody(response, text) : "";
  }
}

/** A proxy's or a portal's page in one line: its title, not its HTML. */
function describeBody(response: Response, text: string): string {
  const type = response.headers.get("content-type")?.split(";")[0]?.trim() || "no content type";
  if (!text.trim()) return `an empty body (${type})`;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
  const summary = (title ?? text.replace(/<[^>]*>/g, " ")).replace(/\s+/g, " ").trim();
  const short = summary.length > 120 ? `${summary.slice(0, 120)}…` : summary;
  return title !== undefined || /html/i.test(type)
    ? `an HTML page${short ? ` "${short}"` : ""}`
    : `${type} "${short}"`;
}
