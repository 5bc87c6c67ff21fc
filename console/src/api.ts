/*
 * The console's only way to the API: JSON in and out, the API key from session storage, and
 * problem+json turned into an ApiError the forms can show field by field.
 */

const KEY_STORAGE = "credit-console-api-key";

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
  ) {
    super(detail || title);
  }
}

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function rememberApiKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export async function api<T>(
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const key = apiKey();
  const response = await fetch(path, {
    method,
    headers: {
      Accept: "application/json",
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(key ? { Authorization: `Bearer ${key}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) {
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
    );
  }
  return { status: response.status, body: parsed as T };
}
