import type { Database } from "./database";

/*
 * Per-request database sessions, for a runtime whose database has read replicas (D1's Sessions
 * API on the Worker). The shared app only says where a request's first query may go; the runtime
 * opens the session and reports the bookmark to hand back to the client.
 */

/** `"first-primary"` for writes, `"first-unconstrained"` or a client's bookmark for reads. */
export type SessionStart = "first-primary" | "first-unconstrained" | { bookmark: string };

export interface DatabaseSession {
  db: Database;
  /** The latest point in the database this session has seen; null before its first query. */
  bookmark(): string | null;
}

/** How a request opens its session; null when its database has none (libSQL, the Node server). */
export type SessionOpener<B> = (env: B) => ((start: SessionStart) => DatabaseSession) | null;
