import { fileURLToPath } from "node:url";
import { isValidIsoDate } from "../domain/dates";

/** The Node server's configuration, read from the environment once, at start. */
export interface ServerSettings {
  host: string;
  port: number;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  /** Unset: the ingest endpoints answer 401 "disabled", as on the Worker. */
  ingestToken: string | undefined;
  asOfDate: string | undefined;
  retryDelaySeconds: string | undefined;
  /** As on the Worker: `sha256:<hex>` digests of the accepted API keys; unset means open. */
  apiKeys: string | undefined;
  corsOrigins: string | undefined;
  /** Writes per minute per API key or client address, as the Worker's rate-limit binding. */
  rateLimitPerMinute: number;
}

/** Inside the project, gitignored; absolute, so it does not depend on the working directory. */
/**
 * wrangler.toml's WRITE_RATE_LIMITER limit: high enough for a back office's bursts of a few
 * hundred writes from one key, low enough to stop a flood.
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1000;
export const DEFAULT_DATABASE_URL = `file:${fileURLToPath(new URL("../../.data/credit.db", import.meta.url))}`;

export class SettingsError extends Error {
  override name = "SettingsError";
}

export function settingsFromEnv(env: Record<string, string | undefined>): ServerSettings {
  const databaseUrl = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  if (!/^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/i.test(databaseUrl)) {
    throw new SettingsError("DATABASE_URL must be a file:, libsql://, https:// or wss:// URL");
  }
  const asOfDate = env.AS_OF_DATE || undefined;
  if (asOfDate !== undefined && !isValidIsoDate(asOfDate)) {
    throw new SettingsError("AS_OF_DATE must be empty or a YYYY-MM-DD date");
  }
  return {
    host: env.HOST || "127.0.0.1",
    port: parsePort(env.PORT),
    databaseUrl,
    databaseAuthToken: env.DATABASE_AUTH_TOKEN || undefined,
    ingestToken: env.INGEST_TOKEN || undefined,
    asOfDate,
    retryDelaySeconds: env.INGEST_RETRY_DELAY_SECONDS || undefined,
    apiKeys: env.API_KEYS || undefined,
    corsOrigins: env.CORS_ORIGINS || undefined,
    rateLimitPerMinute: parsePositiveInteger(
      env.RATE_LIMIT_PER_MINUTE,
      DEFAULT_RATE_LIMIT_PER_MINUTE,
      "RATE_LIMIT_PER_MINUTE",
    ),
  };
}

function parsePort(value: string | undefined): number {
  if (!value) return 8788;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new SettingsError("PORT must be an integer from 0 to 65535");
  }
  return port;
}

function parsePositiveInteger(value: string | undefined, fallback: number, name: string): number {
  if (!value) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new SettingsError(`${name} must be a positive integer`);
  return parsed;
}
