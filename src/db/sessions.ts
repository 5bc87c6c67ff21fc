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

/**
 * What a handler may ask of the request's session: the point it has read (to hand on in something
 * other than the response's header, such as a page's cursor), and a later point to read from.
 */
export interface ReadConsistency {
  /** The bookmark of the request's session so far; null without sessions or before a query. */
  bookmark(): string | null;
  /**
   * Reads from a copy at least as recent as `bookmark` too (the later of it and the client's
   * header): restarts a read's session from it, and replaces the request's `db`. Call it before
   * the request's first query. Nothing to do for a write (its session starts at the primary) or
   * where there are no sessions.
   */
  readAtLeast(bookmark: string): void;
}
