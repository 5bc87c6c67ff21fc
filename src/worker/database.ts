import { settingsError } from "../config";
import type { Database } from "../db/database";
import type { DatabaseSession, SessionStart } from "../db/sessions";
import { NO_DATABASE, workerConfig } from "./config";
import { d1Database, d1Session } from "./d1";
import type { Env } from "./env";
import { remoteLibsqlDatabase } from "./libsql-web";

/**
 * The Worker's database, chosen by configuration alone: libSQL when `DATABASE_URL` is set,
 * otherwise the D1 binding.
 */
export function workerDatabase(env: Partial<Env>): Database {
  const remote = workerConfig(env).remoteDatabase;
  if (remote) return remoteLibsqlDatabase(remote);
  if (env.DB) return d1Database(env.DB);
  // workerConfig refuses such settings first; this keeps the type honest.
  throw settingsError([NO_DATABASE]);
}

/**
 * How a request opens its D1 session, so that reads can be served by read replicas. None on
 * libSQL (`DATABASE_URL`), which has no sessions: requests then use `workerDatabase`.
 */
export function workerSessions(
  env: Partial<Env>,
): ((start: SessionStart) => DatabaseSession) | null {
  const binding = env.DB;
  if (workerConfig(env).remoteDatabase || !binding) return null;
  return (start) => d1Session(binding, start);
}
