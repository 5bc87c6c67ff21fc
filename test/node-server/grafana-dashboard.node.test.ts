import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { scratchFiles } from "../node/ingest-fixtures";
import { type Family, parseExposition } from "../support/prometheus-text";

/*
 * Every series docs/grafana-dashboard.json charts, and every one the docs tell an operator to
 * alert on or watch, is in the exposition of a server that has just started, with the labels the
 * query names: a panel whose series is missing shows "No data" until the first event, and a
 * counter that first appears at 1 is never seen to rise by rate() or increase(), so an alert on
 * the first damaged database, or the first dead ingest chunk, would never fire.
 */

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), "utf8");

interface Panel {
  title: string;
  targets?: { expr: string; legendFormat?: string }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(read("docs/grafana-dashboard.json")) as {
  panels: Panel[];
  templating: { list: { query?: unknown }[] };
};
const panels = (list: Panel[]): Panel[] =>
  list.flatMap((panel) => [panel, ...panels(panel.panels ?? [])]);
const targets = panels(dashboard.panels).flatMap((panel) => panel.targets ?? []);

/** Labels Prometheus itself attaches to every scraped series. */
const TARGET_LABELS = new Set(["instance", "job"]);
/** The values of `status_class`: the classes, and requests whose client left first. */
const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx", "aborted"];

interface Matcher {
  label: string;
  op: string;
  value: string;
}
interface Selector {
  text: string;
  name: string;
  matchers: Matcher[];
  /** Inside `(…) or vector(0)`: the query answers 0 while the series does not exist yet. */
  mayBeAbsent: boolean;
}

const SELECTOR = /([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^{}]*)\}/g;
const MATCHER = /(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g;

/** Where each `(…) or vector(0)` of a query starts and ends. */
function guardedRanges(expr: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const guard of expr.matchAll(/\)\s*or\s+vector\(0\)/g)) {
    let depth = 0;
    for (let i = guard.index; i >= 0; i--) {
      if (expr[i] === ")") depth++;
      if (expr[i] === "(") depth--;
      if (depth === 0) {
        ranges.push([i, guard.index]);
        break;
      }
    }
  }
  return ranges;
}

function selectorsOf(expr: string): Selector[] {
  const guarded = guardedRanges(expr);
  return [...expr.matchAll(SELECTOR)].map((match) => ({
    text: match[0],
    name: match[1] as string,
    matchers: [...(match[2] as string).matchAll(MATCHER)].map(([, label, op, value]) => ({
      label: label as string,
      op: op as string,
      value: value as string,
    })),
    mayBeAbsent: guarded.some(([from, to]) => match.index > from && match.index < to),
  }));
}

/** PromQL in the docs' code spans: `increase(database_errors_total{kind="damaged"}[5m]) > 0`. */
function documentedSelectors(): { where: string; selector: Selector }[] {
  const files = [
    "README.md",
    ...readdirSync(new URL("docs/", ROOT))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `docs/${name}`),
  ];
  return files.flatMap((file) =>
    [...read(file).matchAll(/`([^`\n]+)`/g)].flatMap(([, span]) =>
      selectorsOf(span as string)
        .filter((selector) => selector.matchers.length > 0)
        .map((selector) => ({ where: `${file}: ${span}`, selector })),
    ),
  );
}

const scratch = scratchFiles();
let server: RunningServer;
/** The exposition of a server that has answered nothing but two scrapes. */
let exposition: Map<string, Family>;

beforeAll(async () => {
  server = await startServer(
    settingsFromEnv({ PORT: "0", DATABASE_URL: `file:${scratch("dashboard.db")}` }),
  );
  await fetch(`${server.url}/metrics`).then((response) => response.text());
  exposition = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
});
afterAll(async () => {
  await server?.close();
});

/** The family a series name belongs to: a histogram's `_bucket`, `_sum`, `_count` are its own. */
function familyOf(name: string): Family | undefined {
  const direct = exposition.get(name);
  if (direct) return direct;
  const [, base] = /^(.*)_(?:bucket|sum|count)$/.exec(name) ?? [];
  const family = base === undefined ? undefined : exposition.get(base);
  return family?.type === "histogram" ? family : undefined;
}

function labelNames(family: Family): Set<string> {
  return new Set(family.samples.flatMap((sample) => Object.keys(sample.labels)));
}

/** What is wrong with a selector against the exposition, or null. */
function missing(selector: Selector): string | null {
  const family = familyOf(selector.name);
  if (!family) return `no metric ${selector.name}`;
  const names = labelNames(family);
  for (const { label } of selector.matchers) {
    if (!TARGET_LABELS.has(label) && !names.has(label)) return `no label ${label} on any series`;
  }
  if (selector.mayBeAbsent) return null;
  const equal = selector.matchers.filter(
    ({ op, label }) => op === "=" && !TARGET_LABELS.has(label),
  );
  const found = family.samples.some(
    (sample) =>
      sample.name === selector.name &&
      equal.every(({ label, value }) => sample.labels[label] === value),
  );
  return found ? null : "no series yet: the query shows no data, and rate() misses its first rise";
}

describe("docs/grafana-dashboard.json and the docs' alerts, against a server that has just started", () => {
  it("finds every series each query selects, with the labels it names", () => {
    const selectors = targets.flatMap((target) => selectorsOf(target.expr));
    expect(selectors.length).toBeGreaterThan(10);
    const problems = selectors
      .map((selector) => [selector.text, missing(selector)])
      .filter(([, problem]) => problem !== null);
    expect(problems).toEqual([]);
  });

  it("finds every series the docs say to alert on or watch", () => {
    const documented = documentedSelectors();
    expect(documented.map(({ selector }) => selector.name)).toContain("database_errors_total");
    const problems = documented
      .map(({ where, selector }) => [where, missing(selector)])
      .filter(([, problem]) => problem !== null);
    expect(problems).toEqual([]);
  });

  it("groups and labels by labels the series carry", () => {
    for (const { expr, legendFormat = "" } of targets) {
      const families = selectorsOf(expr).map((selector) => familyOf(selector.name));
      const carried = new Set(
        families.flatMap((family) => (family ? [...labelNames(family)] : [])),
      );
      const used = [
        ...[...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap(([, list]) =>
          (list as string).split(",").map((label) => label.trim()),
        ),
        ...[...legendFormat.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map(([, label]) => label as string),
      ];
      for (const label of used)
        if (!TARGET_LABELS.has(label)) expect(carried, `${label} in ${expr}`).toContain(label);
    }
  });

  it("fills the instance picker from a metric the server exposes", () => {
    const queries = dashboard.templating.list.map((variable) => String(variable.query ?? ""));
    for (const [, name] of queries.join("\n").matchAll(/label_values\((\w+)/g))
      expect(familyOf(name as string), name).toBeDefined();
  });

  it("leaves requests whose client left first out of the 5xx share, and names only real classes", () => {
    const share = panels(dashboard.panels).find((panel) => panel.title.startsWith("5xx share"));
    const [failed, answered] = (share?.targets?.[0]?.expr ?? "").split(" / ");
    expect(failed).toContain('status_class="5xx"');
    expect(answered).toContain('status_class!="aborted"');
    for (const { expr } of targets) {
      for (const [, value] of expr.matchAll(/status_class!?=~?"([^"]*)"/g))
        expect(STATUS_CLASSES, expr).toContain(value);
    }
  });
});
