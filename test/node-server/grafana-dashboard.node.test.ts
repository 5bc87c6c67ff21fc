import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createNodeMetrics } from "../../src/node/metrics";

/* The dashboard in docs/ only charts metrics the Node server exposes, under their exact names. */

const dashboard = JSON.parse(
  readFileSync(new URL("../../docs/grafana-dashboard.json", import.meta.url), "utf8"),
) as { panels: { title: string; targets: { expr: string }[] }[] };

describe("docs/grafana-dashboard.json", () => {
  it("queries only metrics that /metrics exposes", async () => {
    const metrics = createNodeMetrics();
    const exposed = new Set(
      (await metrics.registry.getMetricsAsJSON()).flatMap((metric) =>
        String(metric.type) === "histogram"
          ? [`${metric.name}_bucket`, `${metric.name}_count`, `${metric.name}_sum`]
          : [metric.name],
      ),
    );
    const queried = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((target) =>
        [...target.expr.matchAll(/\b([a-z_]+)\{/g)].map((match) => match[1] as string),
      ),
    );
    expect(queried.length).toBeGreaterThan(10);
    for (const name of queried) expect(exposed, name).toContain(name);
  });
});
