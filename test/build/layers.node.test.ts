import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * The layers of the tree, asserted on its import graph: the pure domain and the leaves of src/lib
 * at the bottom, the data layer below the routes, the ingest consumer and the request layer
 * (src/http), a core that knows neither runtime edge, and no tool that leans on the tests. Read
 * from the source text, so a new file is checked the day it lands.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SOURCE = /\.(ts|tsx)$/;
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

interface Edge {
  from: string;
  to: string;
}

function filesUnder(directory: string): string[] {
  return readdirSync(join(ROOT, directory)).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(join(ROOT, path)).isDirectory()) return filesUnder(path);
    return SOURCE.test(name) ? [path] : [];
  });
}

/** Every import of every file in `directories`: relative ones resolved to repository paths. */
function importsOf(directories: string[]): Edge[] {
  return directories.flatMap(filesUnder).flatMap((from) => {
    const text = readFileSync(join(ROOT, from), "utf8");
    return [...text.matchAll(IMPORT)].map((match) => {
      const specifier = match[1] ?? match[2] ?? "";
      const to = specifier.startsWith(".")
        ? relative(ROOT, resolve(ROOT, dirname(from), specifier))
        : `package:${specifier}`;
      return { from, to };
    });
  });
}

const within = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);
const show = (edges: Edge[]) => edges.map(({ from, to }) => `${from} → ${to}`);

const graph = importsOf(["src", "scripts", "bench", "console/src", "test"]);

describe("the import graph", () => {
  it("is read from the real tree", () => {
    expect(graph.filter((edge) => within(edge.from, "src/routes")).length).toBeGreaterThan(50);
  });

  it("keeps src/domain pure: it imports nothing outside itself", () => {
    const leaks = graph.filter(
      (edge) => within(edge.from, "src/domain") && !within(edge.to, "src/domain"),
    );
    expect(show(leaks)).toEqual([]);
  });

  it("keeps src/db below the routes and the ingest consumer", () => {
    const upward = graph.filter(
      (edge) =>
        within(edge.from, "src/db") &&
        (within(edge.to, "src/routes") || within(edge.to, "src/ingest")),
    );
    expect(show(upward)).toEqual([]);
  });

  it("keeps src/lib a floor of leaves: it imports nothing of the app outside itself", () => {
    const upward = graph.filter(
      (edge) =>
        within(edge.from, "src/lib") && within(edge.to, "src") && !within(edge.to, "src/lib"),
    );
    expect(show(upward)).toEqual([]);
  });

  it("keeps the request layer, src/http, above the data layer and the ingest consumer", () => {
    const below = [
      "src/lib",
      "src/domain",
      "src/config.ts",
      "src/db",
      "src/telemetry.ts",
      "src/ingest",
    ];
    const upward = graph.filter(
      (edge) => below.some((folder) => within(edge.from, folder)) && within(edge.to, "src/http"),
    );
    expect(show(upward)).toEqual([]);
  });

  it("keeps the core below both runtime edges", () => {
    const edges = ["src/worker", "src/node"];
    const intoEdges = graph.filter(
      (edge) =>
        within(edge.from, "src") &&
        !edges.some((folder) => within(edge.from, folder)) &&
        edges.some((folder) => within(edge.to, folder)),
    );
    expect(show(intoEdges)).toEqual([]);
  });

  it("keeps the two edges apart", () => {
    const across = graph.filter(
      (edge) =>
        (within(edge.from, "src/worker") && within(edge.to, "src/node")) ||
        (within(edge.from, "src/node") && within(edge.to, "src/worker")),
    );
    expect(show(across)).toEqual([]);
  });

  it("lets nothing outside test/ import test/", () => {
    const intoTests = graph.filter((edge) => !within(edge.from, "test") && within(edge.to, "test"));
    expect(show(intoTests)).toEqual([]);
  });
});
