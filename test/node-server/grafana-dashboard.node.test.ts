import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createNodeMetrics } from "../../src/node/metrics";

/* The dashboard in docs/ only charts metrics the Node server exposes, under their exact names. */

const dashboard = JSON.parse(
  readFileSync(new URL("../../docs/grafana-dashboard.json", import.meta.url), "utf8"),
) as { panels: { title: string; targets: { expr: string }[] }[] };
/** The values of `status_class`: the classes, and requests whose client left first. */
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx", "aborted"];
const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));

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
    const queried = queries.flatMap((expr) =>
      [...expr.matchAll(/\b([a-z_]+)\{/g)].map((match) => match[1] as string),
    );
    expect(queried.length).toBeGreaterThan(10);
    for (const name of queried) expect(exposed, name).toContain(name);
  });

  it("leaves requests whose client left first out of the 5xx share, and names only real classes", () => {
    const share = dashboard.panels.find((panel) => panel.title.startsWith("5xx share"));
    const [failed, answered] = (share?.targets[0]?.expr ?? "").split(" / ");
    expect(failed).toContain('status_class="5xx"');
    expect(answered).toContain('status_class!="aborted"');
    for (const expr of queries) {
      for (const [, value] of expr.matchAll(/status_class!?=~?"([^"]*)"/g))
        expect(STATUS_CLASSES, expr).toContain(value);
    }
  });
});
