import { hc } from "hono/client";
import type { createApi } from "./app";

/*
 * A typed client for TypeScript callers. The route contracts (src/routes/*.routes.ts) are the
 * types: request bodies, path parameters and every status's response body are checked at compile
 * time, with nothing generated. Only `hono/client` is bundled; the app is imported as a type.
 */

/** The API's routes, as served at the root (and under /api). */
export type AppType = ReturnType<typeof createApi>;

export interface ClientOptions {
  /** Sent as `Authorization: Bearer <key>`; needed only when the deployment sets API_KEYS. */
  apiKey?: string | undefined;
  /** Another fetch: a service binding's, or a test's in-process app. Default: the global fetch. */
  fetch?: typeof fetch | undefined;
}

/** `baseUrl` is the API's origin (`https://credit.example.com`) or its /api prefix. */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
  return hc<AppType>(baseUrl, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.apiKey ? { headers: { Authorization: `Bearer ${options.apiKey}` } } : {}),
  });
}

export type CreditClient = ReturnType<typeof createClient>;
