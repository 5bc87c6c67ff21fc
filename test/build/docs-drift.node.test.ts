import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type Unstable_Config, unstable_readConfig } from "wrangler";
import type { z } from "zod";
import { BUILT_ASSETS } from "../../scripts/lib/built-assets";
import { createApi } from "../../src/app";
import { appSettingsSchema } from "../../src/config";
import { DATABASE_ERROR_KINDS } from "../../src/db/error-kind";
import { EXPECTED_MIGRATIONS } from "../../src/db/migration-names";
import { CATALOGUE } from "../../src/lib/problem";
import { createNodeMetrics } from "../../src/node/metrics";
import { serverSettingsSchema } from "../../src/node/settings";

/*
 * The docs a newcomer configures and calls the API from say what the code does: the settings
 * tables name every setting the runtimes read (and no setting they do not), with the defaults and
 * ranges the schemas hold; wrangler.toml's [vars] spell the schema's defaults; docs/api.md lists
 * every problem type of the catalogue with its status; README's API table lists every operation of
 * the OpenAPI document with its success statuses, and docs/api.md its operation ids; every file a
 * page cites by its path exists; every `npm run` script a page names is package.json's, and README
 * names each; README's Layout names every folder of the tree and of src/; the migration counts the
 * pages quote are the code's; operations.md's metrics are the Node server's; every function or
 * constant a page names is the code's. Each could drift unnoticed while the code changed, and the
 * first ones did.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}/${path}`, "utf8");

/** The rows of the Markdown table whose header line is `header`, as their cells. */
function tableRows(path: string, header: string): string[][] {
  const lines = read(path).split("\n");
  const start = lines.indexOf(header);
  if (start === -1) throw new Error(`${path} has no table headed ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The `NAME`s a settings row's first cell names. */
const namesIn = (cell: string) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] ?? "");

const README_SETTINGS = tableRows("README.md", "| name | kind | meaning |");
const NODE_SETTINGS = tableRows("docs/databases.md", "| variable | default | meaning |");

type Shape = Record<string, z.ZodType>;
const APP = appSettingsSchema.shape as Shape;
const SERVER = serverSettingsSchema.shape as Shape;
/*
 * The Worker's schema, imported by a path the Node typecheck does not follow: src/worker/ compiles
 * against the Workers types only (tsconfig.json); at run time the module is plain TypeScript.
 */
const WORKER_CONFIG: string = "../../src/worker/config";
const { workerSettingsSchema } = (await import(WORKER_CONFIG)) as {
  workerSettingsSchema: { shape: Shape };
};
const WORKER = workerSettingsSchema.shape;

/** The schema that reads `name` on the runtime a row describes: the Node server's, else the Worker's. */
const settingSchema = (name: string): z.ZodType | undefined => SERVER[name] ?? WORKER[name];

const WRANGLER: Unstable_Config = unstable_readConfig(
  { config: `${ROOT}/wrangler.toml` },
  { hideWarnings: true },
);

/** What wrangler.toml binds: not settings, but listed with them in README's table. */
const BINDINGS = new Set([
  ...WRANGLER.d1_databases.map((db) => db.binding),
  ...(WRANGLER.queues.producers ?? []).map((queue) => queue.binding),
  ...WRANGLER.ratelimits.map((limiter) => limiter.name),
  ...WRANGLER.analytics_engine_datasets.map((dataset) => dataset.binding),
  ...(WRANGLER.assets?.binding ? [WRANGLER.assets.binding] : []),
]);

const number = (text: string) => Number(text.replaceAll(",", ""));
const accepts = (schema: z.ZodType, value: string) => schema.safeParse(value).success;

/** Each default and range a row states, checked against the setting's own schema. */
function statedRulesBroken(path: string, rows: string[][], defaultColumn: number | null) {
  const broken: string[] = [];
  for (const row of rows) {
    const names = namesIn(row[0] ?? "");
    // A row of several settings (`HOST`, `PORT`) states rules of more than one schema.
    if (names.length !== 1) continue;
    const name = names[0] ?? "";
    const schema = settingSchema(name);
    if (schema === undefined) continue;
    const text = row.join(" | ");
    const stated =
      defaultColumn === null
        ? /\bdefault ([\d,]+)\b/.exec(text)?.[1]
        : /^`([^`]+)`$/.exec(row[defaultColumn] ?? "")?.[1];
    if (stated !== undefined) {
      const actual = schema.parse(undefined);
      const expected = defaultColumn === null ? number(stated) : stated;
      if (String(actual) !== String(expected)) {
        broken.push(`${path} ${name}: default ${stated}, the schema's ${String(actual)}`);
      }
    }
    for (const [, low = "", high = ""] of text.matchAll(/\b(\d[\d,]*) to (\d[\d,]*)\b/g)) {
      const [min, max] = [number(low), number(high)];
      if (!accepts(schema, String(min)) || !accepts(schema, String(max))) {
        broken.push(`${path} ${name}: ${low} to ${high}, not both accepted`);
      }
      if (accepts(schema, String(min - 1)) || accepts(schema, String(max + 1))) {
        broken.push(`${path} ${name}: ${low} to ${high}, yet a value outside is accepted`);
      }
    }
    for (const [, date = ""] of text.matchAll(/at most `(\d{4}-\d{2}-\d{2})`/g)) {
      const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000)
        .toISOString()
        .slice(0, 10);
      if (!accepts(schema, date) || accepts(schema, next)) {
        broken.push(`${path} ${name}: at most ${date}, not the schema's last date`);
      }
    }
  }
  return broken;
}

describe("the settings the docs name", () => {
  const settings = new Set([...Object.keys(SERVER), ...Object.keys(WORKER)]);

  it("are read from the tables as they are written (the check can fail)", () => {
    expect(README_SETTINGS.length).toBeGreaterThan(10);
    expect(NODE_SETTINGS.length).toBeGreaterThan(10);
    expect(Object.keys(APP).every((name) => settings.has(name))).toBe(true);
  });

  it("are, in README's Configuration table, every setting both runtimes read and wrangler.toml's bindings", () => {
    const documented = new Set(README_SETTINGS.flatMap((row) => namesIn(row[0] ?? "")));
    expect([...settings].filter((name) => !documented.has(name))).toEqual([]);
    // Each binding too: `ASSETS` was bound in wrangler.toml and written nowhere in the table.
    expect([...BINDINGS].filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !settings.has(name) && !BINDINGS.has(name))).toEqual(
      [],
    );
  });

  it("are, in docs/databases.md's table for npm run serve, exactly the Node server's settings", () => {
    const documented = new Set(NODE_SETTINGS.flatMap((row) => namesIn(row[0] ?? "")));
    expect(Object.keys(SERVER).filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => SERVER[name] === undefined)).toEqual([]);
  });

  it("have the defaults and ranges the tables state", () => {
    expect([
      ...statedRulesBroken("README.md", README_SETTINGS, null),
      ...statedRulesBroken("docs/databases.md", NODE_SETTINGS, 1),
    ]).toEqual([]);
  });

  it("are, in wrangler.toml's [vars], Worker settings spelling the schema's defaults", () => {
    const vars = Object.entries(WRANGLER.vars);
    expect(vars.length).toBeGreaterThan(0);
    for (const [name, value] of vars) {
      const schema = WORKER[name];
      expect(schema, `${name} is a Worker setting`).toBeDefined();
      expect(schema?.parse(String(value)), name).toEqual(schema?.parse(undefined));
    }
  });
});

describe("the database error kinds docs/operations.md lists", () => {
  it("are, in the metrics table's database_errors_total row, the kinds the code counts", () => {
    const [row] = tableRows("docs/operations.md", "| metric | type | labels | what |").filter(
      ([metric]) => metric === "`database_errors_total`",
    );
    const labels = row?.[2] ?? "";
    // The kinds are listed in brackets after the label: `kind` (`busy`, `full`, …).
    const listed = [...(/\(([^)]*)\)/.exec(labels)?.[1] ?? "").matchAll(/`([a-z]+)`/g)].map(
      (m) => m[1],
    );
    expect(listed).toEqual([...DATABASE_ERROR_KINDS]);
  });
});

describe("the Node server's metrics docs/operations.md lists", () => {
  it("are the metrics it registers, with their types and labels", async () => {
    const rows = tableRows("docs/operations.md", "| metric | type | labels | what |");
    let previous: string[] = [];
    const documented = rows
      .filter(([metric]) => /^`[a-z_]+`$/.test(metric ?? ""))
      .map(([metric = "", type = "", labels = ""]) => {
        // `kind` (`busy`, `full`, …): the label's values in brackets; "same" as the row above.
        const names =
          labels === "same"
            ? previous
            : [...labels.replace(/\([^)]*\)/g, "").matchAll(/`([a-z_]+)`/g)].map((m) => m[1] ?? "");
        previous = names;
        return `${metric.slice(1, -1)} ${type} ${names.join(",")}`;
      });
    const { registry } = createNodeMetrics();
    const registered = (await registry.getMetricsAsJSON())
      .filter(({ name }) => !/^(process|nodejs)_/.test(name))
      .map(({ name, type }) => {
        // prom-client keeps a metric's label names on it, not in its JSON.
        const { labelNames } = registry.getSingleMetric(name) as unknown as {
          labelNames: string[];
        };
        return `${name} ${type} ${labelNames.join(",")}`;
      });
    expect(registered.length).toBeGreaterThan(5);
    expect(documented.sort()).toEqual(registered.sort());
  });
});

describe("the label values docs/operations.md's metrics table lists", () => {
  // A value the code adds (a refusal code, an ingest stage) is exposed at 0 from the start; the
  // table's brackets went unread, so one missing there passed.
  it("are, for each label the Node server exposes at 0, the values it exposes", async () => {
    const rows = tableRows("docs/operations.md", "| metric | type | labels | what |");
    /** `endpoint` (`check-eligibility`, `create-loan`): a label's values; a later row may refer back. */
    const listedFor = new Map<string, string[]>();
    const listed = new Map<string, string[]>();
    for (const [metric = "", , labels = ""] of rows) {
      for (const [, label = ""] of labels.matchAll(/`([a-z_]+)`/g)) {
        const values = new RegExp(`\`${label}\` \\(([^)]*)\\)`).exec(labels)?.[1];
        if (values !== undefined) {
          listedFor.set(
            label,
            [...values.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ""),
          );
        }
        const known = listedFor.get(label);
        if (known !== undefined) listed.set(`${metric.slice(1, -1)} ${label}`, known);
      }
    }
    const { registry } = createNodeMetrics();
    const exposed = new Map<string, Set<string>>();
    for (const { name, values } of await registry.getMetricsAsJSON()) {
      if (/^(process|nodejs)_/.test(name)) continue;
      for (const { labels } of values) {
        for (const [label, value] of Object.entries(labels)) {
          const key = `${name} ${label}`;
          exposed.set(key, (exposed.get(key) ?? new Set()).add(String(value)));
        }
      }
    }
    expect(exposed.size).toBeGreaterThan(4);
    for (const [key, values] of exposed) {
      expect(listed.get(key)?.slice().sort(), key).toEqual([...values].sort());
    }
  });
});

describe("the problem types docs/api.md lists", () => {
  it("are every kind of the catalogue, each with its status", () => {
    const api = read("docs/api.md");
    const missing = Object.entries(CATALOGUE)
      .filter(([kind, { status }]) => !api.includes(`| \`/problems/${kind}\` | ${status} |`))
      .map(([kind, { status }]) => `${kind} (${status})`);
    expect(missing).toEqual([]);
  });

  it("and every problem type a page names is one of them", () => {
    const pages = ["README.md", "docs/api.md", "docs/product.md", "docs/servicing.md"];
    const named = pages.flatMap((page) =>
      [...read(page).matchAll(/\/problems\/([a-z-]+)/g)].map((m) => ({ page, kind: m[1] ?? "" })),
    );
    expect(named.length).toBeGreaterThan(Object.keys(CATALOGUE).length);
    const unknown = named.filter(({ kind }) => !Object.hasOwn(CATALOGUE, kind));
    expect(unknown.map(({ page, kind }) => `${page}: ${kind}`)).toEqual([]);
  });
});

describe("README's API table", () => {
  const document = createApi().getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "", version: "" },
  });
  const rows = tableRows("README.md", "| method, path | does | success |");

  it("lists every operation of the OpenAPI document, with its success statuses", () => {
    const listed = new Map(
      rows.map((row) => [
        /`([A-Z]+ \/[^`]*)`/.exec(row[0] ?? "")?.[1] ?? row[0],
        [...(row[2] ?? "").matchAll(/\b2\d\d\b/g)].map((m) => m[0]).sort(),
      ]),
    );
    const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      (["get", "post", "put", "patch", "delete"] as const).flatMap((method) => {
        const operation = item?.[method];
        if (operation === undefined) return [];
        const successes = Object.keys(operation.responses ?? {}).filter((s) => s.startsWith("2"));
        return [{ operation: `${method.toUpperCase()} ${path}`, successes: successes.sort() }];
      }),
    );
    expect(operations.length).toBeGreaterThan(5);
    for (const { operation, successes } of operations) {
      expect(listed.get(operation), operation).toEqual(successes);
    }
  });

  it("has the operation ids docs/api.md lists, in the document's order", () => {
    const ids = Object.values(document.paths ?? {}).flatMap((item) =>
      (["get", "post", "put", "patch", "delete"] as const).flatMap((method) => {
        const id = item?.[method]?.operationId;
        return id === undefined ? [] : [id];
      }),
    );
    const sentence =
      /\*\*Operation ids\.\*\*[\s\S]*?\(([^)]*)\)/.exec(read("docs/api.md"))?.[1] ?? "";
    const listed = [...sentence.matchAll(/`(\w+)`/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(5);
    expect(listed).toEqual(ids);
  });
});

/** The pages a newcomer reads; performance.md and bench-runs.md are logs of their day. */
const PAGES = [
  "README.md",
  ...[
    "product",
    "api",
    "servicing",
    "decisions",
    "credit-score",
    "ingestion",
    "databases",
    "operations",
    "security",
    "scaling",
  ].map((page) => `docs/${page}.md`),
];

/**
 * A cited path names a file or folder, the start of one's name (`migrations/0008`), one of the
 * build's outputs in public/ (or their folder), or another output git ignores.
 */
function cited(path: string): boolean {
  if (path.startsWith("public/")) {
    const asset = path.slice("public/".length);
    return BUILT_ASSETS.some((built) => built === asset || built.startsWith(`${asset}/`));
  }
  if (existsSync(`${ROOT}/${path}`)) return true;
  const folder = `${ROOT}/${dirname(path)}`;
  if (existsSync(folder) && readdirSync(folder).some((name) => name.startsWith(basename(path)))) {
    return true;
  }
  for (const candidate of [path, `${path}/`]) {
    try {
      execFileSync("git", ["check-ignore", "--no-index", "-q", candidate], { cwd: ROOT });
      return true;
    } catch {
      // not ignored
    }
  }
  return false;
}

describe("the files the docs cite by path", () => {
  // public/ is git-ignored as a whole: a misspelt output (`public/_headerz`) passed as ignored.
  it("are, under public/, the build's outputs (the check can fail)", () => {
    expect(cited("public/_headers")).toBe(true);
    expect(cited("public/vendor")).toBe(true);
    expect(cited("public/_headerz")).toBe(false);
  });

  it("exist", () => {
    const missing: string[] = [];
    for (const page of PAGES) {
      read(page)
        .split("\n")
        .forEach((line, index) => {
          const paths = line.matchAll(
            /(?<![\w./-])((?:src|test|scripts|bench|console|migrations|docs|data|public|\.ci)\/[\w./-]*\w)/g,
          );
          for (const [, path = ""] of paths) {
            if (!cited(path)) missing.push(`${page}:${index + 1}: ${path}`);
          }
        });
    }
    expect(missing).toEqual([]);
  });
});

/**
 * Names the pages give in code type that are not this project's: Kubernetes', Fineract's, SQLite's
 * and D1's error codes, Linux's, Node's, SheetJS's, a TypeScript option tsconfig.json leaves out;
 * and the misspelt settings the server warns of.
 */
const OTHERS_NAMES = new Set([
  "livenessProbe",
  "readinessProbe",
  "REDUCE_EMI_AMOUNT",
  "SQLITE_TOOBIG",
  "SQLITE_IOERR",
  "SQLITE_CANTOPEN",
  "D1_ERROR",
  "CAP_SYS_ADMIN",
  "keepAliveTimeout",
  "cellDates",
  "noPropertyAccessFromIndexSignature",
  "API_KEY",
  "METRIC_TOKEN",
  "WEB_CONCURENCY",
]);

/**
 * The words of a source file outside its comments: a name left in a comment (or only in a test)
 * after the code renamed it is no longer the code's. A `//` after `:` (a URL) or inside a quoted
 * string on its line is not a comment.
 */
function wordsOf(source: string): Set<string> {
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/^((?:[^"'`/\n]|"[^"\n]*"|'[^'\n]*'|`[^`\n]*`|\/(?!\/))*)\/\/.*$/gm, "$1");
  return new Set([...code.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)].map(([word]) => word));
}

/**
 * Every word of the code, the tools, the tests' shared helpers (test/support/, which the pages
 * name) and the files that configure them; not of the tests themselves.
 */
function codeWords(): Set<string> {
  const folders = ["src", "scripts", "bench", "console", "test/support"];
  const tracked = execFileSync("git", ["ls-files", "-z", ...folders], {
    cwd: ROOT,
    encoding: "utf8",
  }).split("\0");
  const files = [
    ...tracked.filter((path) => /\.(ts|mts|cjs|mjs|js|html|css)$/.test(path)),
    "package.json",
    "tsconfig.json",
    "wrangler.toml",
    "vitest.config.ts",
    ".dev.vars.example",
    ".ci/run",
  ];
  const words = new Set<string>();
  for (const file of files) {
    for (const word of wordsOf(read(file))) words.add(word);
  }
  return words;
}

describe("the code names the pages give", () => {
  // A name left only in a comment or a test still passed after the code renamed it.
  it("are read from the code, not its comments (the check can fail)", () => {
    const words = codeWords();
    expect(words.has("applyPayment")).toBe(true);
    expect(wordsOf("// renamedAway\n/* goneToo\n */ const kept = 1;")).toEqual(
      new Set(["const", "kept"]),
    );
  });

  // A function or constant renamed in the code (`applyPayment`, `REPORT_LISTS_AT_MOST`) left the
  // pages sending readers to a name that no longer exists.
  it("are each a function, constant or variable of the code", () => {
    const words = codeWords();
    expect(words.has("applyPayment")).toBe(true);
    const unknown = PAGES.flatMap((page) =>
      [...read(page).matchAll(/`([a-z]+[A-Z][A-Za-z0-9]*|[A-Z][A-Z0-9]*_[A-Z0-9_]+)`/g)]
        .map((m) => m[1] ?? "")
        .filter((name) => !words.has(name) && !OTHERS_NAMES.has(name))
        .map((name) => `${page}: ${name}`),
    );
    expect([...new Set(unknown)]).toEqual([]);
  });
});

describe("the migration counts the pages quote", () => {
  // The count `npm start` prints on a fresh clone, quoted in README: one per migration file.
  it("are, in README's quickstart, as many migrations applied as migrations/ holds", () => {
    const quoted = /^applied (\d+) local D1 migrations$/m.exec(read("README.md"))?.[1];
    const files = readdirSync(`${ROOT}/migrations`).filter((name) => name.endsWith(".sql"));
    expect(Number(quoted)).toBe(files.length);
  });

  // A new migration changes what /readyz answers; its example in operations.md kept the old count.
  it("are, in docs/operations.md's /readyz answer, the migrations the code expects", () => {
    const quoted = /`\{"status":"ready","migrations":(\d+)\}`/.exec(
      read("docs/operations.md"),
    )?.[1];
    expect(Number(quoted)).toBe(EXPECTED_MIGRATIONS.length);
  });
});

describe("the npm scripts", () => {
  const scripts = Object.keys(
    (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts,
  );

  it("a page names are package.json's", () => {
    const unknown = PAGES.flatMap((page) =>
      [...read(page).matchAll(/\bnpm (?:run ([\w:-]*\w)|(start|test)\b)/g)]
        .map((m) => m[1] ?? m[2] ?? "")
        .filter((name) => !scripts.includes(name))
        .map((name) => `${page}: npm run ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it("are each named in README: `npm run <name>`, `npm start`, `npm test`, or `<name>` in its table", () => {
    const readme = read("README.md");
    const named = (name: string) =>
      readme.includes(`npm run ${name}`) ||
      readme.includes(`npm ${name}`) ||
      readme.includes(`\`${name}\``);
    expect(scripts.length).toBeGreaterThan(10);
    expect(scripts.filter((name) => !named(name))).toEqual([]);
  });
});

describe("README's Layout", () => {
  const layout = /^## Layout\n\n```\n([\s\S]*?)\n```/m.exec(read("README.md"))?.[1] ?? "";
  /** The names the block's first column gives: `src/worker/`, `src/app.ts`, `CHANGELOG.md`. */
  const listed = new Set(
    layout
      .split("\n")
      .map((line) => /^(\S+)\s/.exec(line)?.[1] ?? "")
      .filter((name) => name !== ""),
  );
  const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((path) => path !== "");

  it("is read from the README (the check can fail)", () => {
    expect(listed.size).toBeGreaterThan(10);
  });

  it("names every folder at the top of the tree and every folder and file of src/", () => {
    // src/ is listed by its folders and files; dot-folders (.ci/) are tooling, not layout.
    const top = tracked.filter(
      (path) => path.includes("/") && !path.startsWith(".") && !path.startsWith("src/"),
    );
    const folders = new Set(top.map((path) => `${path.split("/")[0]}/`));
    const inSrc = new Set(
      tracked
        .filter((path) => path.startsWith("src/"))
        .map((path) => {
          const [, name = "", rest] = path.split("/");
          return rest === undefined ? `src/${name}` : `src/${name}/`;
        }),
    );
    expect([...folders, ...inSrc].filter((name) => !listed.has(name)).sort()).toEqual([]);
  });

  it("names nothing the tree does not hold", () => {
    const held = (name: string) =>
      tracked.some(
        (path) => path === name || path.startsWith(name.endsWith("/") ? name : `${name}/`),
      );
    expect([...listed].filter((name) => !held(name))).toEqual([]);
  });
});
