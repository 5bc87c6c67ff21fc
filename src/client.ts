import { hc } from "hono/client";
import type { createApi } from "./app";
import { BOOKMARK_HEADER, laterBookmark } from "./lib/bookmark-header";

/*
 * A typed client for TypeScript callers. The route contracts (each src/routes/<resource>/ folder's
 * *.routes.ts) are the types: request bodies, path parameters and every status's response body are
 * checked at compile time, with nothing generated. Only `hono/client` is bundled; the app is
 * imported as a type.
 */

/** The API's routes, as served at the root (and under /api). */
export type AppType = ReturnType<typeof createApi>;

export interface ClientOptions {
  /** Sent as `Authorization: Bearer <key>`; needed only when the deployment sets API_KEYS. */
  apiKey?: string | undefined;
  /**
   * Another fetch: a test's in-process app, or a service binding's as
   * `(input, init) => env.API.fetch(input, init)` (its fetch taken off it throws Illegal invocation).
   * Default: the global fetch.
   */
  fetch?: typeof fetch | undefined;
}

/** `baseUrl` is the API's origin (`https://credit.example.com`) or its /api prefix. */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
  const client = hc<AppType>(baseUrl, {
    fetch: carryingBookmark(options.fetch ?? ((input, init) => fetch(input, init))),
    ...(options.apiKey ? { headers: { Authorization: `Bearer ${options.apiKey}` } } : {}),
  });
  // Sound: at run time hc spreads `args.header` into the request's headers, so a missing one is none.
  return client as OptionalHeaders<typeof client>;
}

/**
 * hc types a route's `header` argument as required even when every header in it is optional, so
 * register, create-loan and make-payment without an Idempotency-Key would need `header: {}`. This makes
 * `header` optional exactly then, and leaves every other argument and every response type as hc has it.
 */
type OptionalHeaders<T> = T extends (args: infer A, options?: infer O) => infer R
  ? A extends { header: infer H }
    ? Partial<H> extends H
      ? (
          args: { [K in keyof A as K extends "header" ? never : K]: A[K] } & { header?: H },
          options?: O,
        ) => R
      : T
    : T
  : T extends object
    ? { [K in keyof T]: OptionalHeaders<T[K]> }
    : T;

/**
 * One client is one session: it sends back the most recent `x-d1-bookmark` it was given, so its reads
 * see its own earlier writes even when a read replica answers (docs/databases.md).
 */
function carryingBookmark(send: typeof fetch): typeof fetch {
  let bookmark: string | null = null;
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    if (bookmark && !headers.has(BOOKMARK_HEADER)) headers.set(BOOKMARK_HEADER, bookmark);
    const response = await send(input, { ...init, headers });
    bookmark = laterBookmark(bookmark, response.headers.get(BOOKMARK_HEADER));
    return response;
  };
}

export type CreditClient = ReturnType<typeof createClient>;
