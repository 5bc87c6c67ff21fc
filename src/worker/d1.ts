import { drizzle } from "drizzle-orm/d1";
import { type Database, schema } from "../db/database";
import type { DatabaseSession, SessionStart } from "../db/sessions";

/** The Worker's default database: the D1 binding. */
export function d1Database(d1: D1Database): Database {
  return drizzle(d1, { schema });
}

/**
 * A D1 session (Sessions API) as a drizzle database. drizzle's D1 driver only calls `prepare` and
 * `batch`, which a session has; it has no `exec` or `dump`, which the driver never calls.
 */
export function d1Session(d1: D1Database, start: SessionStart): DatabaseSession {
  const session = d1.withSession(typeof start === "string" ? start : start.bookmark);
  return {
    db: drizzle(session as unknown as D1Database, { schema }),
    bookmark: () => session.getBookmark(),
  };
}
