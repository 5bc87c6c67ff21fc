import { Hono } from "hono";
import { requireBearerToken } from "../lib/bearer-token";

/** The text a scrape returns: a prom-client registry, or the cluster's sum of them. */
export interface MetricsExposition {
  contentType: string;
  metrics(): Promise<string>;
}

/**
 * `GET /metrics`: the Prometheus text exposition. Open when no token is set (the server listens
 * on the loopback by default); with `METRICS_TOKEN`, a scraper sends `Authorization: Bearer
 * <token>` and anything else is a 401 problem.
 */
export function metricsRoute<B extends object>(
  exposition: MetricsExposition,
  token: string | undefined,
) {
  const route = new Hono<{ Bindings: B }>();
  if (token)
    route.use(
      "/metrics",
      requireBearerToken(() => token, "metrics"),
    );
  return route.get("/metrics", async (c) => {
    const body = await exposition.metrics();
    return c.body(body, 200, {
      "Content-Type": exposition.contentType,
      "Cache-Control": "no-store",
    });
  });
}
