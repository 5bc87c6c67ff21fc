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
  const response = await fetch(path, {
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
  const parsed = parseJson(await response.text());
  if (!response.ok) {
    if (response.status === 401) apiKeyRejected(key !== null);
    const problem = (parsed ?? {}) as Partial<{
      title: string;
      detail: string;
      errors: FieldError[];
    }>;
    throw new ApiError(
      response.status,
      problem.title ?? `HTTP ${response.status}`,
      problem.detail ?? "",
      problem.errors ?? [],
      problem,
    );
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
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
