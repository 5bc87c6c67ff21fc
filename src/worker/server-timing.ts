import { withBindings, workerConfig } from "./config";
import { countingD1, type D1Counter } from "./counting-d1";
import type { Env } from "./env";

/** The `Server-Timing` value: `db;dur=<ms awaiting D1, 1 decimal>;desc="<n> round trips"`. */
function dbServerTiming(counter: D1Counter): string {
  return `db;dur=${counter.waitedMs.toFixed(1)};desc="${counter.roundTrips} round trips"`;
}

/**
 * Serves one request on a per-request counted copy of the D1 binding and reports what reached
 * D1 in a `Server-Timing` header (opt-in: `SERVER_TIMING=true`, off by default because it
 * reveals internals). On libSQL (`DATABASE_URL` set) or without a D1 binding there is nothing to
 * count: the request is served as is, with no header.
 */
export async function withD1ServerTiming<E extends Partial<Env>>(
  env: E,
  serve: (env: E) => Response | Promise<Response>,
): Promise<Response> {
  if (workerConfig(env).remoteDatabase || !env.DB) return serve(env);
  const { database, counter } = countingD1(env.DB);
  const response = await serve(withBindings(env, { DB: database } as Partial<E>));
  // A fresh Response: the one served may have immutable headers.
  const timed = new Response(response.body, response);
  timed.headers.append("Server-Timing", dbServerTiming(counter));
  return timed;
}
