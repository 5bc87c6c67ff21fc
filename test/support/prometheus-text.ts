/*
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: it throws, naming
 * the line, at anything a Prometheus server would refuse or misread (a HELP or TYPE given twice
 * or after its samples, a family split in two, a label value with an unknown escape, a duplicate
 * series, a histogram whose buckets are not cumulative or whose `+Inf` bucket is not its count).
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string | undefined;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL_NAME = "[a-zA-Z_][a-zA-Z0-9_]*";
/** A label value: any character but `"`, `\` and a newline, or one of the three escapes. */
const LABEL_VALUE = '(?:[^"\\\\\\n]|\\\\[\\\\"n])*';
const LABEL = new RegExp(`^(${LABEL_NAME})="(${LABEL_VALUE})"(,|$)`);
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
/** Prometheus reads values with Go's ParseFloat, which takes NaN in any case (prom-client writes `Nan`). */
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|Nan|[+-]Inf)$/;

function unescapeLabelValue(value: string): string {
  return value.replace(/\\(.)/g, (_, escaped: string) => (escaped === "n" ? "\n" : escaped));
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== "") {
    const match = LABEL.exec(rest);
    if (!match) fail(`malformed labels at ${JSON.stringify(rest)}`);
    const [whole, name, value] = match as unknown as [string, string, string];
    if (name in labels) fail(`label ${name} given twice`);
    labels[name] = unescapeLabelValue(value);
    rest = rest.slice(whole.length);
  }
  return labels;
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (!VALUE.test(text)) fail(`value ${text} is not a float`);
  if (text.endsWith("Inf")) return text.startsWith("-") ? -Infinity : Infinity;
  return text.startsWith("N") ? Number.NaN : Number(text);
}

/** The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` are its own. */
function familyOf(name: string, families: Map<string, Family>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.slice(0, -suffix.length);
    const type = families.get(base)?.type;
    if (name.endsWith(suffix) && (type === "histogram" || type === "summary")) return base;
  }
  return name;
}

const seriesKey = (sample: Sample) =>
  `${sample.name}{${Object.entries(sample.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(",")}}`;

/** Every family of the exposition, by name; throws at the first line that breaks the format. */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("the exposition does not end in a newline");
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let found = families.get(name);
    if (!found) {
      found = { name, type: "untyped", help: undefined, samples: [] };
      families.set(name, found);
    }
    return found;
  };
  const typed = new Set<string>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null;

  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1}: ${why}: ${line}`);
    };
    if (line.trim() === "") return;
    const comment = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (comment) {
      const [, keyword, name, rest = ""] = comment as unknown as [string, string, string, string?];
      if (!new RegExp(`^${NAME}$`).test(name)) fail("not a metric name");
      const described = family(name);
      if (described.samples.length > 0) fail(`${keyword} after the family's samples`);
      if (keyword === "HELP") {
        if (described.help !== undefined) fail("HELP given twice");
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) fail("HELP with an unknown escape");
        described.help = rest;
      } else {
        if (typed.has(name)) fail("TYPE given twice");
        if (!TYPES.has(rest)) fail(`unknown type ${rest}`);
        typed.add(name);
        described.type = rest;
      }
      return;
    }
    if (line.startsWith("#")) return;
    const match = SAMPLE.exec(line);
    if (!match) fail("not a sample line");
    const [, name, labelText, valueText] = match as unknown as [string, string, string, string];
    const sample = {
      name,
      labels: parseLabels(labelText ?? "", fail),
      value: parseValue(valueText, fail),
    };
    const base = familyOf(name, families);
    if (base !== current) {
      if (closed.has(base)) fail(`family ${base} split in two`);
      if (current !== null) closed.add(current);
      current = base;
    }
    const key = seriesKey(sample);
    if (series.has(key)) fail("duplicate series");
    series.add(key);
    family(base).samples.push(sample);
  });

  for (const described of families.values()) checkFamily(described);
  return families;
}

function checkFamily(family: Family): void {
  const fail = (why: string): never => {
    throw new Error(`${family.name}: ${why}`);
  };
  if (family.type === "counter") {
    for (const sample of family.samples)
      if (!(sample.value >= 0)) fail(`counter at ${sample.value}`);
  }
  if (family.type !== "histogram") return;
  const byLabels = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = seriesKey({ ...sample, name: "", labels: rest });
    const group = byLabels.get(key) ?? { buckets: [] };
    byLabels.set(key, group);
    if (sample.name === `${family.name}_bucket`) {
      if (le === undefined) fail("a bucket without le");
      group.buckets.push([parseValue(le as string, fail), sample.value]);
    } else if (sample.name === `${family.name}_sum`) group.sum = sample.value;
    else if (sample.name === `${family.name}_count`) group.count = sample.value;
    else fail(`sample ${sample.name} in a histogram`);
  }
  for (const [labels, group] of byLabels) {
    const buckets = group.buckets.sort(([a], [b]) => a - b);
    buckets.forEach(([le, count], i) => {
      if (i > 0 && count < (buckets[i - 1] as [number, number])[1])
        fail(`${labels}: bucket le=${le} below the one before (not cumulative)`);
    });
    const last = buckets.at(-1);
    if (last?.[0] !== Infinity) fail(`${labels}: no le="+Inf" bucket`);
    if (group.count === undefined) fail(`${labels}: no _count`);
    if (group.sum === undefined) fail(`${labels}: no _sum`);
    if (last?.[1] !== group.count)
      fail(`${labels}: +Inf bucket ${last?.[1]}, _count ${group.count}`);
  }
}

/** The samples of `name` (a family's, or a histogram's `_bucket`, `_sum` or `_count`). */
export function samplesOf(families: Map<string, Family>, name: string): Sample[] {
  return [...families.values()]
    .flatMap((family) => family.samples)
    .filter((sample) => sample.name === name);
}
