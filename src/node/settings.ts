import { fileURLToPath } from "node:url";
import { parseDecisionRetentionMonths } from "../db/maintenance";
import { isValidIsoDate } from "../domain/dates";

/** The Node server's configuration, read from the environment once, at start. */
export interface ServerSettings {
  host: string;
  port: number;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  ingestToken: string;
  asOfDate: string | undefined;
  retryDelaySeconds: string | undefined;
  /** As on the Worker: `sha256:<hex>` digests of the accepted API keys; unset means open. */
  apiKeys: string | undefined;
  corsOrigins: string | undefined;
  /** Writes per minute per API key or client address (the Worker's rate-limit binding: 60). */
  rateLimitPerMinute: number;
  /** Months decision records are kept (the Worker's DECISION_RETENTION_MONTHS var: 25). */
  decisionRetentionMonths: number;
}

/** The Worker's local default too (`.dev.vars.example`), so `npm run ingest` works with either. */
export const LOCAL_INGEST_TOKEN = "local-dev-ingest-token";
/** Inside the project, gitignored; absolute, so it does not depend on the working directory. */
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
    ingestToken: env.INGEST_TOKEN || LOCAL_INGEST_TOKEN,
    asOfDate,
    retryDelaySeconds: env.INGEST_RETRY_DELAY_SECONDS || undefined,
    apiKeys: env.API_KEYS || undefined,
    corsOrigins: env.CORS_ORIGINS || undefined,
    rateLimitPerMinute: parsePositiveInteger(
      env.RATE_LIMIT_PER_MINUTE,
      60,
      "RATE_LIMIT_PER_MINUTE",
    ),
    decisionRetentionMonths: retentionMonths(env.DECISION_RETENTION_MONTHS),
  };
}

function retentionMonths(value: string | undefined): number {
  try {
    return parseDecisionRetentionMonths(value);
  } catch (error) {
    throw new SettingsError((error as Error).message);
  }
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
