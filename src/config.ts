import { z } from "zod";
import { addMonths, isValidIsoDate } from "./domain/dates";
import { endsByLastScheduleDate, LAST_SCHEDULE_DATE, TENURE_MONTHS } from "./domain/field-rules";
import { parseApiKeyDigests } from "./lib/security/api-keys";
import { tokenFault } from "./lib/token-characters";

/*
 * The app's settings, once: every runtime parses its environment with this schema (extended by the
 * runtime's own settings) at its edge, once, and hands the typed result to `createApp`. Values
 * arrive as strings — Worker vars and secrets, or the Node server's process environment — and an
 * empty string means "unset", as in wrangler.toml's `AS_OF_DATE = ""` (not for API_KEYS: blank
 * there is refused, see below).
 */

/** An optional string setting: empty or blank is the same as absent. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

/**
 * A setting read by `parse`, which gets it as given (absent is undefined, blank stays blank) and
 * throws an Error whose message is the rule the value breaks.
 */
export const parsedBy = <T>(parse: (value: string | undefined) => T) =>
  z
    .string()
    .optional()
    .transform((value, context) => {
      try {
        return parse(value);
      } catch (error) {
        context.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    });

/**
 * A bearer token the server compares requests with: optional text, refused when no request could
 * present it (a blank inside, a line break): taken, the server started and answered 401 to all.
 */
export const bearerTokenSetting = optionalText.superRefine((token, context) => {
  const fault = token === undefined ? null : tokenFault(token);
  if (fault) context.addIssue({ code: "custom", message: fault });
});

/**
 * A remote database's token (DATABASE_AUTH_TOKEN), one rule for the Worker and the Node server:
 * trimmed, blank is unset. One read from a file ends in a newline, one pasted may start with a
 * blank, and the libSQL clients send it as is (`Bearer  <token>`), so that a right one failed.
 */
export const databaseAuthTokenSetting = optionalText;

/**
 * An on/off setting, any case, blanks trimmed; empty is `fallback`. Anything else is refused: a
 * typo (`SEED=flase`) or an unlisted word (`SEED=off` once seeded a production database) must
 * not silently mean the default. The Node server's flags and the Worker's SERVER_TIMING.
 */
export const flag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, context) => {
      const text = value?.trim().toLowerCase() ?? "";
      if (text === "") return fallback;
      if (["true", "1", "yes", "on"].includes(text)) return true;
      if (["false", "0", "no", "off"].includes(text)) return false;
      context.addIssue({ code: "custom", message: "must be true or false (1/0, yes/no, on/off)" });
      return z.NEVER;
    });

/**
 * Regulation B keeps applications and refusal reasons 25 months; shortening it is the
 * deployment's decision.
 */
export const DEFAULT_DECISION_RETENTION_MONTHS = 25;

/**
 * An ingest job's bookkeeping is kept this many days after its latest chunk activity: long after
 * any delivery of its chunks can still arrive (the dead-letter queue keeps a message 4 days in the
 * deploy steps, 14 at the most Cloudflare Queues allows), and long enough for an operator to look
 * a quarter's runs up again (docs/ingestion.md#retention).
 */
export const DEFAULT_INGEST_RETENTION_DAYS = 90;

/**
 * The least retention allowed: more than the 14 days a Cloudflare Queue keeps a message at most,
 * plus the hours of retries before the dead-letter queue takes it, so no chunk of a swept job can
 * still be delivered.
 */
export const INGEST_RETENTION_DAYS_MIN = 15;

/**
 * A CORS_ORIGINS entry as browsers send `Origin`: lower-case scheme and host, no trailing slash,
 * no default port. Compared as exact text, `https://lender.example/` or an upper-case host never
 * matched, and browsers were refused with no sign of why; anything that is not an origin is null.
 */
function corsOrigin(entry: string): string | null {
  if (entry === "*") return entry;
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return null;
  }
  const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
  return bare && /^https?:$/.test(url.protocol) ? url.origin : null;
}

export const appSettingsSchema = z.object({
  /** Pins the as-of date (`YYYY-MM-DD`) for tests and demos; unset means today (UTC). */
  AS_OF_DATE: optionalText
    .refine(
      (value) => value === undefined || isValidIsoDate(value),
      "must be empty or a YYYY-MM-DD date",
    )
    // create-loan books at the as-of date: the longest tenure must still end by the calendar's
    // last date, or its schedule could not be written.
    .refine(
      (value) =>
        value === undefined ||
        !isValidIsoDate(value) ||
        endsByLastScheduleDate(value, TENURE_MONTHS.max),
      `must be no later than ${addMonths(LAST_SCHEDULE_DATE, -TENURE_MONTHS.max)}, so that a ${TENURE_MONTHS.max}-month loan booked on it ends by ${LAST_SCHEDULE_DATE}`,
    ),
  /**
   * When set, API routes require one of these keys: `sha256:<hex>` digests, comma-separated. Not
   * optionalText: blank (`API_KEYS=$KEYS`, KEYS unset) meant keys, so it is refused, not open.
   */
  API_KEYS: parsedBy(parseApiKeyDigests),
  /** Browser origins allowed by CORS: unset (off), `*`, or a comma-separated list. */
  CORS_ORIGINS: optionalText.transform((value, context) => {
    const origins: string[] = [];
    for (const entry of (value ?? "").split(",").map((origin) => origin.trim())) {
      if (!entry) continue;
      const origin = corsOrigin(entry);
      if (origin === null) {
        context.addIssue({
          code: "custom",
          message:
            "entries must be * or an origin such as https://lender.example (scheme, host and optional port; no path)",
        });
        return z.NEVER;
      }
      origins.push(origin);
    }
    return origins;
  }),
  /** Bearer token of the ingest endpoints (a secret); unset turns ingest off. */
  INGEST_TOKEN: bearerTokenSetting,
  /** Base delay of the ingest consumer's exponential backoff, in seconds. */
  INGEST_RETRY_DELAY_SECONDS: optionalText
    .transform((value) => (value === undefined ? 2 : Number(value)))
    .refine((seconds) => Number.isFinite(seconds) && seconds >= 0, "must be a number of seconds"),
  /** Months decision records are kept before the scheduled sweep deletes them. */
  DECISION_RETENTION_MONTHS: optionalText
    .transform((value) => (value === undefined ? DEFAULT_DECISION_RETENTION_MONTHS : Number(value)))
    .refine(
      (months) => Number.isInteger(months) && months >= 1 && months <= 1200,
      "must be an integer from 1 to 1200",
    ),
  /** Days an ingest job's bookkeeping is kept after its latest chunk activity. */
  INGEST_RETENTION_DAYS: optionalText
    .transform((value) => (value === undefined ? DEFAULT_INGEST_RETENTION_DAYS : Number(value)))
    .refine(
      (days) => Number.isInteger(days) && days >= INGEST_RETENTION_DAYS_MIN && days <= 36_500,
      `must be an integer from ${INGEST_RETENTION_DAYS_MIN} to 36500`,
    ),
});

export type AppSettings = z.input<typeof appSettingsSchema>;

/** The names of the app's settings, as each runtime's environment spells them. */
export const APP_SETTING_NAMES = Object.keys(appSettingsSchema.shape) as (keyof AppSettings)[];

export interface AppConfig {
  /** The pinned as-of date, or null for today (UTC). */
  asOfDate: string | null;
  /** Digests of the accepted API keys; empty means the API is open. */
  apiKeyDigests: Uint8Array[];
  /** Allowed browser origins; empty means CORS is off. */
  corsOrigins: string[];
  ingestToken: string | null;
  ingestRetryDelaySeconds: number;
  decisionRetentionMonths: number;
  ingestRetentionDays: number;
}

/** A deployment mistake, not a request's: the message names the setting and carries no secret. */
export class ConfigError extends Error {
  override name = "ConfigError";

  /** Each setting that is wrong and why, for a runtime that answers with them (the Worker). */
  constructor(
    message: string,
    readonly problems: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Parses settings with `schema` (the app's, or a runtime's extension of it); names what is wrong. */
export function parseSettings<S extends z.ZodType>(schema: S, env: unknown): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw settingsError(
    parsed.error.issues.map((issue) => ({
      field: issue.path.map(String).join(".") || "settings",
      message: issue.message,
    })),
  );
}

/** The ConfigError naming each setting at fault: `FIELD rule; FIELD rule`. */
export function settingsError(problems: { field: string; message: string }[]): ConfigError {
  return new ConfigError(
    problems.map((problem) => `${problem.field} ${problem.message}`).join("; "),
    problems,
  );
}

export function toAppConfig(settings: z.output<typeof appSettingsSchema>): AppConfig {
  return {
    asOfDate: settings.AS_OF_DATE ?? null,
    apiKeyDigests: settings.API_KEYS,
    corsOrigins: settings.CORS_ORIGINS,
    ingestToken: settings.INGEST_TOKEN ?? null,
    ingestRetryDelaySeconds: settings.INGEST_RETRY_DELAY_SECONDS,
    decisionRetentionMonths: settings.DECISION_RETENTION_MONTHS,
    ingestRetentionDays: settings.INGEST_RETENTION_DAYS,
  };
}

/** The app's config from raw settings, for a runtime with nothing of its own to add. */
export function parseAppConfig(env: unknown): AppConfig {
  return toAppConfig(parseSettings(appSettingsSchema, env));
}
