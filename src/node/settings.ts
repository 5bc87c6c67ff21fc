import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { z } from "zod";
import {
  APP_SETTING_NAMES,
  type AppConfig,
  type AppSettings,
  appSettingsSchema,
  bearerTokenSetting,
  databaseAuthTokenSetting,
  flag,
  parsedBy,
  parseSettings,
  toAppConfig,
} from "../config";
import { cgroupCpuQuota } from "./cpu-quota";
import { cgroupMemoryLimit } from "./memory-limit";
import type { DatabaseSynchronous } from "./native-libsql";
import { parseTrustedProxies, type TrustedProxies } from "./trusted-proxies";

/**
 * Inside the project, gitignored; absolute, so it does not depend on the working directory. Its
 * `%`, `?` and `#` escaped, as a `file:` URL's path is decoded: unescaped, a project in `proj#2`
 * would not start, and one in `caf%C3%A9` would put its database in a folder `café` beside it.
 */
const DEFAULT_DATABASE_URL = `file:${fileURLToPath(new URL("../../.data/credit.db", import.meta.url)).replace(/[%?#]/g, (c) => encodeURIComponent(c))}`;
/**
 * wrangler.toml's WRITE_RATE_LIMITER limit: high enough for a back office's bursts of a few
 * hundred writes from one key, low enough to stop a flood.
 */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 1000;

/**
 * Seconds a cluster worker has, from its fork, to listen: past it, it is stuck starting and is
 * killed and replaced. A worker's start (loading the app, opening its connection) took 11–16 s on
 * 2 cores under a load of 10 (2026-12-05); migrations run in the primary before any fork, and a
 * remote database that does not answer fails the start itself after 30 s.
 */
export const DEFAULT_WORKER_START_TIMEOUT_SECONDS = 120;

/**
 * Seconds an idle kept-alive connection stays open: past the 60 s a load balancer or proxy keeps
 * its own idle connections to the server (AWS's ALB, nginx's upstream keepalive), so the server
 * never closes one just as the proxy sends on it (the proxy's 502). Node's default is 5 s.
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_SECONDS = 65;

/** More HTTP worker processes than this is a typo, not a machine (each holds a connection). */
export const MAX_WEB_CONCURRENCY = 64;

/**
 * Memory the default sets aside, from `npm run serve` on the bundled data (2026-12-07, Node 20):
 * the primary holds about 135 MB and up to 230 MB while seeding; an HTTP worker about 130 MB, up
 * to 185 MB while it starts (the code they share counted once by the cgroup). 4 workers in 512 MiB
 * were killed by the OOM killer while starting; 3 started, at 98% of the limit.
 */
const PRIMARY_MEMORY_MIB = 192;
const WORKER_MEMORY_MIB = 160;

/**
 * WEB_CONCURRENCY when unset: one HTTP worker per CPU the process may use, the cgroup's CPU quota
 * (rounded up) when it is below the cores (availableParallelism() does not read it on Node 20),
 * at most MAX_WEB_CONCURRENCY, and no more than the cgroup's memory limit holds (at least 1: one
 * process); with what decided it, for the start's line.
 */
export function defaultWebConcurrency(
  cores: number,
  quota: number | null,
  memoryLimitBytes: number | null = null,
): { count: number; source: string } {
  const byCpu = webConcurrencyByCpu(cores, quota);
  if (memoryLimitBytes === null) return byCpu;
  const mib = Math.floor(memoryLimitBytes / (1024 * 1024));
  const fits = Math.max(1, Math.floor((mib - PRIMARY_MEMORY_MIB) / WORKER_MEMORY_MIB));
  if (fits >= byCpu.count) return byCpu;
  return {
    count: fits,
    source: `${fits} that the cgroup's memory limit of ${mib} MiB holds (${PRIMARY_MEMORY_MIB} MiB for the primary, ${WORKER_MEMORY_MIB} for each HTTP worker), not ${byCpu.source}`,
  };
}

function webConcurrencyByCpu(
  cores: number,
  quota: number | null,
): { count: number; source: string } {
  if (quota !== null && Math.ceil(quota) < Math.min(cores, MAX_WEB_CONCURRENCY)) {
    const count = Math.max(1, Math.ceil(quota));
    const cpus = Number(quota.toFixed(2));
    return { count, source: `one per CPU of the cgroup's quota of ${cpus} on ${cores} cores` };
  }
  if (cores > MAX_WEB_CONCURRENCY) {
    return {
      count: MAX_WEB_CONCURRENCY,
      source: `at most ${MAX_WEB_CONCURRENCY}, on ${cores} cores`,
    };
  }
  return { count: cores, source: `one per core, ${cores}` };
}

/** Read once, at start: the cgroup files do not change under a running container. */
const DEFAULT_WEB_CONCURRENCY = defaultWebConcurrency(
  availableParallelism(),
  cgroupCpuQuota(),
  cgroupMemoryLimit(),
);

/** `file:` databases are embedded; the others are reached over the network (Turso, sqld). */
const DATABASE_URL = /^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/;
/** A `file:` URL that names no file: libSQL opens an in-memory database for it. */
const FILE_WITHOUT_PATH = /^file:(\/\/)?(:memory:)?(\?.*)?$/;

/**
 * Why a `file:` URL is not one the server opens as meant, or null: a host other than `localhost`
 * (`file://data/credit.db` for a relative path), a query (`?mode=ro`: SQLite's URI options are not
 * libSQL's), a fragment, or a `%` that is no escape.
 */
function fileUrlProblem(url: string): string | null {
  const parts = /^file:(?:\/\/([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?$/s.exec(url);
  if (parts === null) return null;
  const [, host, path = "", query, fragment] = parts;
  if (host !== undefined && host !== "" && host.toLowerCase() !== "localhost") {
    return `names a host (${host}); a database file is file:/absolute/path.db, file:///absolute/path.db or file:relative/path.db`;
  }
  if (query !== undefined || fragment !== undefined) {
    return "must be file:<path> with no query (?…) or fragment (#…); SQLite's URI options (?mode=ro, …) are not supported";
  }
  try {
    decodeURIComponent(path);
  } catch {
    return "has a % that is not an escape (%20 is a space; a % itself is %25)";
  }
  return null;
}

/**
 * Whether the libSQL client refuses a remote URL as it is made (no host, a port past 65535, a
 * fragment, a query parameter but tls=0 or 1 and authToken): the start threw its error, a stack
 * trace and exit 1. Asked over HTTP, whose client connects at its first query, not when made.
 */
function libsqlRefusesRemoteUrl(url: string): boolean {
  try {
    createClient({ url: url.replace(/^ws/, "http") }).close();
    return false;
  } catch {
    return true;
  }
}

/** A whole number in decimal digits from a string setting, `fallback` when unset. */
const wholeNumber = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    // Digits only: Number() would also take `0x2289` or `1e3`, which no operator means as a port.
    .transform((value) =>
      !value?.trim() ? fallback : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN,
    )
    .refine(
      (value) => Number.isInteger(value) && value >= min && value <= max,
      `must be a whole number from ${min} to ${max}`,
    );

/**
 * Where a local server listens, for `npm run serve` and `npm start` (whose wrangler dev cannot be
 * asked for port 0): blank is the default, as a service manager's unset variable arrives.
 */
export const listenSettingsSchema = (defaultPort: number, minPort: number) =>
  z.object({
    HOST: z
      .string()
      .optional()
      // `[::1]` as a URL writes it: the address within.
      .transform((value) => (value?.trim() || "127.0.0.1").replace(/^\[(.*)\]$/, "$1"))
      // A URL, a port or a path can never be listened on: every worker's getaddrinfo failed, and
      // its exit 1 was restarted. A name that does not resolve yet (at boot) still starts.
      .refine(
        (host) => isIP(host) !== 0 || !/[:/[\]@]/.test(host),
        "must be an IP address or a host name, with no scheme, port or path (PORT sets the port)",
      ),
    PORT: wholeNumber(defaultPort, minPort, 65_535),
  });

/** The Node server's settings: the app's, and where it listens and what it opens. */
export const serverSettingsSchema = appSettingsSchema.extend({
  ...listenSettingsSchema(8788, 0).shape,
  DATABASE_URL: z
    .string()
    .optional()
    // The scheme in lower case: the code tells a file from a remote database by `file:`, and
    // `FILE:` once reached the file through the remote path, never ready.
    .transform((value) =>
      (value?.trim() || DEFAULT_DATABASE_URL).replace(/^[a-z]+:/i, (s) => s.toLowerCase()),
    )
    .refine((url) => DATABASE_URL.test(url), "must be a file:, libsql://, https:// or wss:// URL")
    // `file:` alone (an unset variable in `file:$DB`) opened a database in memory: one process
    // lost every acknowledged write at its restart, a cluster's workers answered 500 to all.
    .refine(
      (url) => !FILE_WITHOUT_PATH.test(url),
      "must name a database file (file:<path>), not memory",
    )
    // What libSQL refuses with a stack trace at start, or opens elsewhere than the operator meant.
    .superRefine((url, context) => {
      const problem = fileUrlProblem(url);
      if (problem !== null) context.addIssue({ code: "custom", message: problem });
    })
    // Never the URL in the message: it can carry its token (`?authToken=`).
    .refine(
      (url) => url.startsWith("file:") || !DATABASE_URL.test(url) || !libsqlRefusesRemoteUrl(url),
      "must be a URL the libSQL client accepts: a host, a port up to 65535, no fragment, and no query parameter but tls (0 or 1) and authToken",
    ),
  DATABASE_AUTH_TOKEN: databaseAuthTokenSetting,
  /** Writes per minute per API key or client address, as the Worker's rate-limit binding. */
  RATE_LIMIT_PER_MINUTE: wholeNumber(DEFAULT_RATE_LIMIT_PER_MINUTE, 1, Number.MAX_SAFE_INTEGER),
  /**
   * The reverse proxies whose X-Forwarded-For names the client (src/node/trusted-proxies.ts):
   * addresses, CIDR ranges or `loopback`, comma-separated. Parsed here, once, at start.
   */
  TRUSTED_PROXIES: parsedBy(parseTrustedProxies),
  /** Prometheus metrics at GET /metrics: on unless off. */
  METRICS: flag(true),
  METRICS_TOKEN: bearerTokenSetting,
  /** HTTP worker processes (node:cluster); 1 is a single process without a cluster. */
  WEB_CONCURRENCY: wholeNumber(DEFAULT_WEB_CONCURRENCY.count, 1, MAX_WEB_CONCURRENCY),
  /** Seconds from a cluster worker's fork to its listening before it is killed as stuck. */
  WORKER_START_TIMEOUT_SECONDS: wholeNumber(DEFAULT_WORKER_START_TIMEOUT_SECONDS, 1, 3_600),
  /** Diagnostics: `X-Worker-Pid` on every cluster worker's response. Off unless on. */
  WORKER_PID_HEADER: flag(false),
  /** Seconds an idle kept-alive connection stays open (above a proxy's own idle timeout). */
  KEEP_ALIVE_TIMEOUT_SECONDS: wholeNumber(DEFAULT_KEEP_ALIVE_TIMEOUT_SECONDS, 1, 3_600),
  /** Load the bundled workbooks into an empty database at start: on unless false. */
  SEED: flag(true),
  /** PRAGMA quick_check on a file: database at start (a damaged one stops it): on unless false. */
  DATABASE_QUICK_CHECK: flag(true),
  /** How a `file:` database's commits reach the disk (native-libsql.ts): full unless normal. */
  DATABASE_SYNCHRONOUS: z
    .string()
    .optional()
    .transform((value) => value?.trim().toLowerCase() || "full")
    .refine(
      (value): value is DatabaseSynchronous => value === "full" || value === "normal",
      "must be full (every commit synced to disk, the default) or normal",
    ),
});

/** The Node server's configuration, read from the environment once, at start. */
export interface ServerSettings {
  host: string;
  port: number;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  rateLimitPerMinute: number;
  /** Peers whose X-Forwarded-For names the client; none by default (the client is the peer). */
  trustedProxies: TrustedProxies;
  /** What the app itself reads (src/config.ts). */
  app: AppConfig;
  /** The app's settings as given, so a test can vary one of them and parse again. */
  appSettings: AppSettings;
  /** Prometheus metrics at GET /metrics: on unless `METRICS` is false, 0, no or off. */
  metrics: boolean;
  /** When set, /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
  metricsToken: string | undefined;
  /** HTTP worker processes: 1 runs everything in this process; more fork a node:cluster. */
  webConcurrency: number;
  /** What chose `webConcurrency`: `WEB_CONCURRENCY=4`, or the cores, CPU quota or memory limit it was unset on. */
  webConcurrencySource: string;
  /** A cluster worker not listening this many seconds after its fork is killed and replaced. */
  workerStartTimeoutSeconds: number;
  /** Cluster workers name their process in an `X-Worker-Pid` header (tests, diagnostics). */
  workerPidHeader: boolean;
  /** An idle kept-alive connection is closed after this many seconds. */
  keepAliveTimeoutSeconds: number;
  /** `npm run serve` loads the bundled workbooks into an empty database. */
  seed: boolean;
  /** The start runs `PRAGMA quick_check` on a `file:` database and stops on a damaged one. */
  databaseQuickCheck: boolean;
  /** `full`: every commit to a `file:` database is synced before it is answered; `normal`: not. */
  databaseSynchronous: DatabaseSynchronous;
}

export function settingsFromEnv(env: Record<string, string | undefined>): ServerSettings {
  const settings = parseSettings(serverSettingsSchema, env);
  return {
    host: settings.HOST,
    port: settings.PORT,
    databaseUrl: settings.DATABASE_URL,
    databaseAuthToken: settings.DATABASE_AUTH_TOKEN,
    rateLimitPerMinute: settings.RATE_LIMIT_PER_MINUTE,
    trustedProxies: settings.TRUSTED_PROXIES,
    app: toAppConfig(settings),
    appSettings: Object.fromEntries(APP_SETTING_NAMES.map((name) => [name, env[name]])),
    metrics: settings.METRICS,
    metricsToken: settings.METRICS_TOKEN,
    webConcurrency: settings.WEB_CONCURRENCY,
    webConcurrencySource: env.WEB_CONCURRENCY?.trim()
      ? `WEB_CONCURRENCY=${settings.WEB_CONCURRENCY}`
      : `WEB_CONCURRENCY unset: ${DEFAULT_WEB_CONCURRENCY.source}`,
    workerStartTimeoutSeconds: settings.WORKER_START_TIMEOUT_SECONDS,
    workerPidHeader: settings.WORKER_PID_HEADER,
    keepAliveTimeoutSeconds: settings.KEEP_ALIVE_TIMEOUT_SECONDS,
    seed: settings.SEED,
    databaseQuickCheck: settings.DATABASE_QUICK_CHECK,
    databaseSynchronous: settings.DATABASE_SYNCHRONOUS,
  };
}

/**
 * Whether METRICS_TOKEN is given blank while /metrics is on. Blank is unset, as for every setting
 * (a service manager's or compose file's unexpanded variable arrives so), and unset means an open
 * /metrics: the start warns of it, so that an operator who meant to protect it is told.
 */
export function metricsTokenBlank(
  env: Record<string, string | undefined>,
  settings: Pick<ServerSettings, "metrics" | "metricsToken">,
): boolean {
  return settings.metrics && settings.metricsToken === undefined && env.METRICS_TOKEN !== undefined;
}
