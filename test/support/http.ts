import { backend, type EnvOverrides } from "./backend";

/**
 * Each test file is one client (an address from the benchmarking range, 198.18.0.0/15), as each
 * caller of a deployment is: the write limit counts per client, and the suite runs with the
 * default limit. A test may send its own CF-Connecting-IP.
 */
const CLIENT_ADDRESS = `198.18.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

export interface CallOptions {
  method?: string;
  body?: unknown;
  /** A raw body, sent as is (for malformed JSON and the like); bytes for text that is not UTF-8. */
  rawBody?: string | Uint8Array;
  headers?: Record<string, string>;
  env?: EnvOverrides;
}

/**
 * Calls the app of the project's backend (the Worker on D1, or the Node app on libSQL) with the
 * test bindings, optionally overridden.
 */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  const request = new Request(`http://api.test${path}`, {
    method: options.method ?? (hasBody ? "POST" : "GET"),
    headers: {
      "CF-Connecting-IP": CLIENT_ADDRESS,
      ...(hasBody ? { "Content-Type": "application/json" } : {}),
      ...options.headers,
    },
    body:
      options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  return backend().fetch(request, options.env);
}

export async function callJson<T = Record<string, unknown>>(
  path: string,
  options: CallOptions = {},
) {
  const response = await call(path, options);
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

let phoneCounter = 0;
/**
 * A phone number no other test in this file uses: counted, not drawn, since each file has a
 * database of its own. Drawn at random, the 300 of security.test.ts's burst shared one (a 409)
 * about once in 7,000 runs.
 */
export function uniquePhone(): number {
  phoneCounter += 1;
  return 9_000_000_000 + phoneCounter;
}

/** A valid /register body with a fresh phone number, fields overridden. */
export function registration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    first_name: "Asha",
    last_name: "Verma",
    age: 30,
    monthly_income: 50_000,
    phone_number: uniquePhone(),
    ...overrides,
  };
}

export async function registerCustomer(overrides: Record<string, unknown> = {}) {
  const { status, body } = await callJson<{ customer_id: number; approved_limit: number }>(
    "/register",
    { body: registration(overrides) },
  );
  if (status !== 201) throw new Error(`register failed with ${status}: ${JSON.stringify(body)}`);
  return body;
}
