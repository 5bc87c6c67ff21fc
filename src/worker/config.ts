import { z } from "zod";
import {
  type AppConfig,
  appSettingsSchema,
  ConfigError,
  databaseAuthTokenSetting,
  flag,
  parseSettings,
  settingsError,
  toAppConfig,
} from "../config";
import type { Env } from "./env";
import { libsqlRefusesUrl } from "./libsql-web";

/** URL schemes the Web client speaks (HTTP; `libsql:` means HTTPS to Turso). */
const REMOTE_URL = /^(libsql|https?):\/\//i;

/**
 * The Worker's settings: the app's, and how it reaches its database and reports timing.
 * @public test/build/docs-drift.node.test.ts imports it by a path knip cannot follow.
 */
export const workerSettingsSchema = appSettingsSchema.extend({
  /** A Turso / libSQL URL (a secret). When set, it wins over the D1 binding. */
  DATABASE_URL: z
    .string()
    .optional()
    .transform((value) => value?.trim() || undefined)
    .refine(
      (value) => value === undefined || REMOTE_URL.test(value),
      "must be a libsql://, https:// or http:// URL (file: databases need the Node server)",
    )
    // Never the value in the message: a URL can carry its token (`?authToken=`).
    .refine(
      (value) => value === undefined || !REMOTE_URL.test(value) || !libsqlRefusesUrl(value),
      "must be a URL the libSQL client accepts: a host, a port up to 65535, no fragment, and no query parameter but tls (0 or 1) and authToken",
    ),
  DATABASE_AUTH_TOKEN: databaseAuthTokenSetting,
  /**
   * `true` (or 1, yes, on) adds the D1 Server-Timing header (src/worker/server-timing.ts); empty is
   * off. Any other word is refused: a typo used to mean off, silently.
   */
  SERVER_TIMING: flag(false),
});

const SETTING_NAMES = Object.keys(workerSettingsSchema.shape);

/**
 * The settings among the Worker's bindings, a TOML number or boolean as the text it spells:
 * wrangler.toml's `[vars]` are TOML, and `DECISION_RETENTION_MONTHS = 36` or `SERVER_TIMING = true`
 * written without quotes reach the Worker as a number or a boolean, which the schema (strings, as
 * secrets and the Node server's environment give them) refused, taking the Worker down.
 */
function settingsOf(env: Partial<Env>): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const value: unknown = env[name as keyof Env];
    settings[name] =
      typeof value === "number" || typeof value === "boolean" ? String(value) : value;
  }
  return settings;
}

export interface WorkerConfig {
  app: AppConfig;
  remoteDatabase: { url: string; authToken: string | undefined } | null;
  serverTiming: boolean;
}

/*
 * Parsed once per environment object: an isolate keeps the one it was given for every request, so
 * this runs once per isolate (tests that override a binding make a new object, parsed once too).
 */
const parsed = new WeakMap<object, WorkerConfig>();

/** A copy of `env` with some bindings replaced keeps the config parsed for the original. */
export function withBindings<E extends object>(env: E, replaced: Partial<E>): E {
  const derived = { ...env, ...replaced };
  parsed.set(derived, workerConfig(env));
  return derived;
}

export function workerConfig(env: Partial<Env>): WorkerConfig {
  let config = parsed.get(env);
  if (!config) {
    const settings = parseWorkerSettings(env);
    config = {
      app: toAppConfig(settings),
      remoteDatabase: settings.DATABASE_URL
        ? { url: settings.DATABASE_URL, authToken: settings.DATABASE_AUTH_TOKEN }
        : null,
      serverTiming: settings.SERVER_TIMING,
    };
    parsed.set(env, config);
  }
  return config;
}

/** The rule a Worker with neither database breaks, named on the binding's name. */
export const NO_DATABASE = {
  field: "DB",
  message:
    "must be bound to a D1 database ([[d1_databases]] in wrangler.toml), unless DATABASE_URL is set",
};

/**
 * The settings, or a ConfigError naming every one at fault, the database's absence among them: a
 * Worker with no D1 binding and no DATABASE_URL has nothing to serve from, and used to answer every
 * API request 500, its ConfigError thrown where a request opened its database.
 */
function parseWorkerSettings(env: Partial<Env>) {
  const raw = settingsOf(env);
  const url = raw.DATABASE_URL;
  const hasUrl = typeof url === "string" ? url.trim() !== "" : url !== undefined;
  const missing = env.DB || hasUrl ? [] : [NO_DATABASE];
  let settings: z.output<typeof workerSettingsSchema>;
  try {
    settings = parseSettings(workerSettingsSchema, raw);
  } catch (error) {
    if (!(error instanceof ConfigError) || missing.length === 0) throw error;
    throw settingsError([...error.problems, ...missing]);
  }
  if (missing.length > 0) throw settingsError(missing);
  return settings;
}
