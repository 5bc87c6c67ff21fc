import type { MiddlewareHandler } from "hono";
import type { Database } from "../db/database";
import type { ReadConsistency, SessionOpener, SessionStart } from "../db/sessions";
import { BOOKMARK_HEADER, BOOKMARK_PATTERN, laterBookmark } from "../lib/bookmark-header";
import { validationProblem } from "../lib/problem";
import { isReadOnlyApiRequest } from "../lib/security/paths";
import type { AppVariables } from "./app-env";

/*
 * The shape D1 hands out, or empty (BOOKMARK_PATTERN, which the OpenAPI document declares too).
 * Checked before it reaches D1, which does not validate it itself: locally it keeps a garbage
 * bookmark and returns it as the session's bookmark from then on.
 */
const BOOKMARK = new RegExp(BOOKMARK_PATTERN, "u");

/**
 * Where a request's first query may go: a read-only API request to any replica (at least as new
 * as the client's bookmark), anything else to the primary. A malformed bookmark is a 400: silently
 * ignoring it would silently drop the read-your-writes the client asked for.
 */
function sessionStart(method: string, path: string, bookmark?: string): SessionStart {
  if (!isReadOnlyApiRequest(method, path)) return "first-primary";
  if (bookmark === undefined) return "first-unconstrained";
  if (!BOOKMARK.test(bookmark)) {
    throw validationProblem([
      {
        field: BOOKMARK_HEADER,
        message: `must be a bookmark from an earlier response's ${BOOKMARK_HEADER} header`,
      },
    ]);
  }
  // Empty (whitespace is trimmed at the edge) names no point: the same as no header.
  return bookmark === "" ? "first-unconstrained" : { bookmark };
}

/** Where the database has no sessions (libSQL, the Node server): one object for every request. */
const WITHOUT_SESSIONS: ReadConsistency = { bookmark: () => null, readAtLeast: () => {} };

/**
 * Gives the request its database: a session when the runtime has them (the response then carries
 * the session's bookmark), otherwise the plain database. Without sessions the header means
 * nothing and is not even read. A handler that holds a bookmark of its own (a page's cursor) can
 * restart a read's session from the later of it and the header, before its first query.
 */
export function requestDatabase<B extends object>(
  database: (env: B) => Database,
  sessions: SessionOpener<B> | undefined,
): MiddlewareHandler<{ Bindings: B; Variables: AppVariables }> {
  return async (c, next) => {
    const open = sessions?.(c.env);
    if (!open) {
      c.set("db", database(c.env));
      c.set("readConsistency", WITHOUT_SESSIONS);
      await next();
      return;
    }
    const start = sessionStart(c.req.method, c.req.path, c.req.header(BOOKMARK_HEADER));
    let session = open(start);
    c.set("db", session.db);
    c.set("readConsistency", {
      bookmark: () => session.bookmark(),
      readAtLeast: (bookmark) => {
        // A write's session starts at the primary, which is ahead of every bookmark.
        if (start === "first-primary") return;
        const header = start === "first-unconstrained" ? null : start.bookmark;
        // Compared as D1 writes them, lowercase (the header may be in either case); sent as given.
        const later = laterBookmark(header?.toLowerCase() ?? null, bookmark.toLowerCase());
        session = open({ bookmark: header && later === header.toLowerCase() ? header : bookmark });
        c.set("db", session.db);
      },
    });
    await next();
    const bookmark = session.bookmark();
    if (bookmark) c.res.headers.set(BOOKMARK_HEADER, bookmark);
  };
}
