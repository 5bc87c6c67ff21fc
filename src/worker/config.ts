import { z } from "zod";
import { type AppConfig, appSettingsSchema, parseSettings, toAppConfig } from "../config";
import type { Env } from "./env";

/** URL schemes the Web client speaks (HTTP; `libsql:` means HTTPS to Turso). */
const REMOTE_URL = /^(libsql|https?):\/\//i;

/** The Worker's settings: the app's, and how it reaches its database and reports timing. */
const workerSettingsSchema = appSettingsSchema.extend({
  /** A Turso / libSQL URL (a secret). When set, it wins over the D1 binding. */
  DATABASE_URL: z
    .string()
    .optional()
    .transform((value) => value?.trim() || undefined)
    .refine(
      (value) => value === undefined || REMOTE_URL.test(value),
      "must be a libsql://, https:// or http:// URL (file: databases need the Node server)",
    ),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  /** `"true"` adds the D1 Server-Timing header (src/worker/server-timing.ts). */
  SERVER_TIMING: z
    .string()
    .optional()
    .transform((value) => value === "true"),
});

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
    const settings = parseSettings(workerSettingsSchema, env);
    config = {
      app: toAppConfig(settings),
      remoteDatabase: settings.DATABASE_URL
        ? { url: settings.DATABASE_URL, authToken: settings.DATABASE_AUTH_TOKEN || undefined }
        : null,
      serverTiming: settings.SERVER_TIMING,
    };
    parsed.set(env, config);
  }
  return config;
}
