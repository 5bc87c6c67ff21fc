import type { Database } from "../db/client";
import { d1Database } from "./d1";
import { DatabaseConfigError, remoteLibsqlDatabase } from "./libsql-web";

/** What the Worker reads to pick its database. */
export interface DatabaseBindings {
  /** The D1 binding (`wrangler.toml`); the default. */
  DB?: D1Database;
  /** A Turso / libSQL URL (a secret). When set, it wins over D1. */
  DATABASE_URL?: string;
  DATABASE_AUTH_TOKEN?: string;
}

/**
 * The Worker's database, chosen by configuration alone: libSQL when `DATABASE_URL` is set,
 * otherwise the D1 binding.
 */
export function workerDatabase(env: DatabaseBindings): Database {
  if (env.DATABASE_URL) {
    return remoteLibsqlDatabase({ url: env.DATABASE_URL, authToken: env.DATABASE_AUTH_TOKEN });
  }
  if (env.DB) return d1Database(env.DB);
  throw new DatabaseConfigError(
    "No database is configured: bind a D1 database as DB or set DATABASE_URL",
  );
}
