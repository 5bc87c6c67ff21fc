import { BOOKMARK_HEADER, laterBookmark } from "../../src/lib/bookmark-header";
import { apiKey, apiKeyRejected } from "./api-key";

/*
 * The console's only way to the API: JSON in and out, the API key from session storage, and
 * problem+json turned into an ApiError the forms can show field by field.
 */

/*
 * The tab is one D1 session: the latest bookmark the API returned is sent with every request, so a
 * loan just booked is in the list read next, even when a read replica serves that read. Kept in
 * session storage, like the key, so a reload keeps it.
 */
const BOOKMARK_STORAGE = "credit-console-d1-bookmark";

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[],
    /** The whole problem body, for the members a refusal adds (its `code`, the amount that applies). */
    readonly problem: Record<string, unknown> = {},
  ) {
    super(detail || title);
  }
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export async function api<T>(
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const key = apiKey();
  const { response, text } = await send(path, {
    method,
    headers: {
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...bookmarkHeader(),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const bookmark = laterBookmark(
    sessionStorage.getItem(BOOKMARK_STORAGE),
    response.headers.get(BOOKMARK_HEADER),
  );
  if (bookmark) sessionStorage.setItem(BOOKMARK_STORAGE, bookmark);
  const parsed = parseJson(text);
  if (!response.ok) {
    if (response.status === 401) apiKeyRejected(key !== null);
    throw problemError(response, parsed);
  }
  // An empty 204, or a Wi-Fi sign-in page answering 200: rendered, it failed as "Cannot read
  // properties of null" and, after a booking, left the officer guessing whether it was booked.
  if (parsed === null) {
    throw new NoApiAnswer(
      `the answer (${response.status}) was not the API's: something on the network may have answered instead. ${SEND_AGAIN}`,
    );
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/**
 * No answer from the API (the connection refused, or reset mid-answer), or one that is not its
 * JSON. The message, for the officer, follows "The request failed: ".
 */
export class NoApiAnswer extends Error {}

/** A request the console did not send, its message the whole sentence for the officer. */
export class NotSent extends Error {}

// Registering, booking and paying keep their Idempotency-Key until the form is edited: resending is safe.
const SEND_AGAIN =
  "Check the connection, then send it again: a registration, booking or payment sent again unchanged within 24 hours is not made twice.";

/*
 * How long the console waits for an answer. Fetch itself waits for ever on a connection gone
 * quiet, and the form stayed disabled with no word. Longer than the API's own slowest answer (a
 * cluster worker's 30 s wait for its primary, then a 503), so a slow server still gets to say why.
 */
const ANSWER_WITHIN_S = 45;

/** The request and its whole answer; a failure on the way is a NoApiAnswer, not "Failed to fetch". */
async function send(
  path: string,
  init: RequestInit,
): Promise<{ response: Response; text: string }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ANSWER_WITHIN_S * 1000);
  try {
    const response = await fetch(path, { ...init, signal: controller.signal });
    return { response, text: await response.text() };
  } catch {
    throw new NoApiAnswer(
      controller.signal.aborted
        ? `no answer from the API within ${ANSWER_WITHIN_S} s. ${SEND_AGAIN}`
        : `no answer from the API: the connection failed or was cut. ${SEND_AGAIN}`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A problem's members as the forms need them. An error that is not the API's problem+json (a
 * proxy's HTML page, its JSON of its own) showed "HTTP 502", or "undefined" for each of its
 * `errors` when that was no list: it is described from its status and Retry-After instead.
 */
function problemError(response: Response, parsed: unknown): ApiError {
  const problem = isRecord(parsed) ? parsed : {};
  const text = (name: string) => (typeof problem[name] === "string" ? problem[name] : "");
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter(
        (error): error is FieldError =>
          isRecord(error) && typeof error.field === "string" && typeof error.message === "string",
      )
    : [];
  const detail = text("detail") || (errors.length > 0 ? "" : unexplained(response));
  return new ApiError(
    response.status,
    text("title") || `HTTP ${response.status}`,
    detail,
    errors,
    problem,
  );
}

function unexplained(response: Response): string {
  const seconds = Number(response.headers.get("Retry-After") ?? "");
  const when = Number.isInteger(seconds) && seconds > 0 ? `in ${seconds} s` : "in a moment";
  const status = `${response.status} ${response.statusText}`.trim();
  return `The server answered ${status} without the API's explanation (a proxy or gateway on the way may have answered). Try again ${when}.`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function bookmarkHeader(): Record<string, string> {
  const bookmark = sessionStorage.getItem(BOOKMARK_STORAGE);
  return bookmark ? { [BOOKMARK_HEADER]: bookmark } : {};
}

/** A proxy's HTML error page is not JSON: the status alone must still reach the form. */
function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
