import type { AppSettings } from "../../src/config";
import type { Database } from "../../src/db/database";
import type { AppBindings } from "../../src/http/app-env";

/*
 * The HTTP contract suite runs three times from the same test files: the Worker in workerd on D1
 * (the `workers` project), the Node server's app in-process on a libSQL file (`node-libsql`), and
 * the real multi-process Node server (`npm run serve`) over HTTP (`node-server`). Each project's
 * setup file registers its backend here; the helpers in this folder (http.ts, seed.ts, ingest.ts)
 * go through it and never name a runtime.
 */

/**
 * Per-request overrides: the app's bindings and settings (src/config.ts), on the in-process
 * backends (settings only over HTTP), the Worker's own (its database and Server-Timing), which
 * mean something there only, and the Node server's write limit, which only the `node-server`
 * backend reads (it starts a server with it). The Worker's are named here because the Node
 * project's typecheck has no Workers types for src/worker/env.ts.
 */
export type EnvOverrides = Partial<AppBindings> &
  Partial<AppSettings> & {
    DB?: unknown;
    DATABASE_URL?: string;
    DATABASE_AUTH_TOKEN?: string;
    SERVER_TIMING?: string;
    RATE_LIMIT_PER_MINUTE?: string;
  };

export interface TestBackend {
  name: "workers-d1" | "node-libsql" | "node-server";
  /**
   * Serves one request with the test bindings (AS_OF_DATE pinned, test ingest token). Over HTTP
   * (`node-server`) only app settings can be overridden, not bindings.
   */
  fetch(request: Request, overrides?: EnvOverrides): Promise<Response>;
  /**
   * Whether each CF-Connecting-IP a test sends is a client of its own (over HTTP it takes a
   * loopback address per client, which not every system has).
   */
  separateClients: boolean;
  /** The same drizzle database the app uses, for seeding. */
  database(): Database;
  /** Runs one SQL statement with positional parameters; returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Puts a message on the ingest queue directly, skipping the endpoint's validation. */
  enqueue(body: unknown): Promise<void>;
  /**
   * Where the runtime has database sessions (D1): overrides that hand the app the real D1 binding
   * with each `withSession()` argument recorded into `starts`, in order. Absent elsewhere.
   */
  recordSessionStarts?(): { overrides: EnvOverrides; starts: unknown[] };
}

let current: TestBackend | undefined;

export function registerBackend(backend: TestBackend): void {
  current = backend;
}

export function backend(): TestBackend {
  if (!current) throw new Error("No test backend: the project's setup file registers one.");
  return current;
}
