import { MemoryRateLimiter } from "../../src/lib/security/rate-limit";
import { backend, type EnvOverrides } from "./backend";

/**
 * `limit` writes a minute per client: a limiter handed to the app in-process; over HTTP, a server
 * started with that limit, so its own limiter (across all its processes) is the one tested.
 */
export function writeLimit(limit: number): EnvOverrides {
  return backend().name === "node-server"
    ? { RATE_LIMIT_PER_MINUTE: String(limit) }
    : { WRITE_RATE_LIMITER: new MemoryRateLimiter(limit) };
}
