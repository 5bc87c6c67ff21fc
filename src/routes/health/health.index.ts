import { Hono } from "hono";
import type { Database } from "../../db/database";
import { checkReadiness } from "../../db/readiness";
import { problemResponse } from "../../lib/problem";

/*
 * Operations endpoints, outside the API's document: `GET /healthz` (liveness: the process answers,
 * no I/O) and `GET /readyz` (readiness: the database answers, can take writes as far as the runtime
 * knows — `databaseFault` — and its migrations, and no newer release's, are applied). Public even
 * when API keys are on (src/lib/security/paths.ts), never rate limited (only writes are), and
 * never cached.
 */
export function healthRouter<B extends object>(
  database: (env: B) => Database,
  databaseFault?: (env: B) => string | null,
) {
  return new Hono<{ Bindings: B }>()
    .get("/healthz", (c) => {
      c.header("Cache-Control", "no-store");
      return c.json({ status: "ok" }, 200);
    })
    .get("/readyz", async (c) => {
      // The factory itself can fail (a database that cannot be opened): that is "not ready" too.
      const readiness = await checkReadiness(
        () => database(c.env),
        undefined,
        databaseFault && (() => databaseFault(c.env)),
      );
      if (!readiness.ready) {
        // Each field once: missing and unknown migrations are two problems of one field.
        const what = [...new Set(readiness.problems.map((problem) => problem.field))].join(" and ");
        return problemResponse(c, {
          kind: "not-ready",
          detail: `Not ready: ${what}. ${readiness.problems.map((p) => `${p.field} ${p.message}`).join("; ")}.`,
          errors: readiness.problems,
          headers: { "Cache-Control": "no-store", "Retry-After": "5" },
        });
      }
      c.header("Cache-Control", "no-store");
      return c.json({ status: "ready", migrations: readiness.migrations }, 200);
    });
}
