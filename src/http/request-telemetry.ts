import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { monotonicNow } from "../lib/monotonic-clock";
import type { EdgeOf } from "../lib/request-edge";
import type { Telemetry } from "../telemetry";

/** The label of a request no route matched (404, 405): never its raw path, which may hold ids. */
const UNMATCHED_ROUTE = "unmatched";

/**
 * Times every request and reports it with its route's template. Put first, so that the time
 * includes every other middleware and the response the error handler built.
 */
export function requestTelemetry(
  telemetry: (c: Context) => Telemetry,
  edgeOf: EdgeOf,
): MiddlewareHandler<{ Variables: { telemetry: Telemetry } }> {
  return async (c, next) => {
    const started = monotonicNow();
    const sink = telemetry(c);
    c.set("telemetry", sink);
    await next();
    try {
      sink.recordRequest({
        method: c.req.method,
        route: routeTemplate(c),
        status: c.res.status,
        clientGone: edgeOf(c.req.raw)?.response.destroyed === true,
        durationMs: monotonicNow() - started,
      });
    } catch {
      // Metrics must never fail the request they describe.
    }
  };
}

/** Route patterns seen so far → their templates; bounded by the number of routes. */
const templates = new Map<string, string>();

/**
 * The pattern of the handler that matched (the last matched route that is not a middleware),
 * without the `/api` prefix and with OpenAPI-style parameters: `/api/view-loan/:loan_id` →
 * `/view-loan/{loan_id}`.
 */
function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    // Middleware is registered with `use()`, which matches every method ("ALL").
    if (route === undefined || route.method === "ALL") continue;
    let template = templates.get(route.path);
    if (template === undefined) {
      template = toTemplate(route.path);
      templates.set(route.path, template);
    }
    return template;
  }
  return UNMATCHED_ROUTE;
}

function toTemplate(path: string): string {
  const withoutPrefix = path === "/api" || path.startsWith("/api/") ? path.slice(4) || "/" : path;
  // `:name` or `:name{regex}` → `{name}`
  return withoutPrefix.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}").replace(/(.)\/+$/, "$1");
}
