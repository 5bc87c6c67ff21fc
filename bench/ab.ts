/**
 * `npm run bench:ab`: a before/after comparison of the Node server, for measuring a speed-up.
 *
 * "before" is a commit (`--base`, default HEAD) checked out in a scratch git worktree; "after" is
 * the working tree. Both serve a copy of the same database (generated loans, loaded once through
 * the ingest script) and take the same load, one server at a time, alternating A B B A … so that a
 * drift in the machine's load falls on both. Every figure is kept; the table shows the medians.
 *
 *   --base REF          the "before" commit (default HEAD)
 *   --rounds N          before/after pairs (default 3)
 *   --duration S        seconds per run (default 5)
 *   --connections 1,10  connection counts (default 1)
 *   --endpoints LIST    comma-separated, e.g. "GET /view-loans/{id},POST /check-eligibility"
 *   --loans N           data set size (default 10000; 10 loans per customer)
 *   --before-env LIST   environment of the "before" server, e.g. "METRICS=false" (comma-separated)
 *   --after-env LIST    environment of the "after" server
 *   --api-key           both servers require an API key (API_KEYS) and every request sends it,
 *                       as a deployment with keys does (docs/security.md)
 *
 * The "before" checkout links to the working tree's node_modules: both run on today's
 * dependencies, so a change of dependency versions is not what this compares.
 *
 * Beside req/s, each run reports the server's CPU time per request (all its processes, from
 * /proc on Linux): on a shared machine it moves far less than req/s between runs of the same code.
 *
 * Writes bench/results/ab-latest.json and ab-latest.md (gitignored).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkOutBase, git, median, parseEnv } from "./lib/comparison";
import { groupCpuSeconds } from "./lib/cpu-time";
import { generated, ingest } from "./lib/ingest";
import {
  ENDPOINTS,
  type Endpoint,
  type LoadRow,
  measure,
  samplePopulation,
  warm,
} from "./lib/load";
import {
  copyDatabase,
  NODE_INGEST_TOKEN,
  ROOT,
  startNodeServer,
  stopAll,
  stopAllOnSignals,
} from "./lib/processes";

const { values: args } = parseArgs({
  options: {
    base: { type: "string", default: "HEAD" },
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "1" },
    endpoints: { type: "string", default: ENDPOINTS.join(",") },
    loans: { type: "string", default: "10000" },
    "before-env": { type: "string", default: "" },
    "after-env": { type: "string", default: "" },
    "api-key": { type: "boolean", default: false },
  },
});
const rounds = Number(args.rounds);
const connections = args.connections.split(",").map(Number);
const endpoints = args.endpoints.split(",").map((name) => name.trim()) as Endpoint[];
for (const endpoint of endpoints) {
  if (!ENDPOINTS.includes(endpoint)) throw new Error(`unknown endpoint "${endpoint}"`);
}

type Variant = "before" | "after";
/** With `--api-key`: a key made for this run, its digest in both servers' API_KEYS. */
const apiKey = args["api-key"] ? `bench_${randomBytes(24).toString("hex")}` : null;
const keyEnv: Record<string, string> = apiKey
  ? { API_KEYS: `sha256:${createHash("sha256").update(apiKey).digest("hex")}` }
  : {};
const keyHeaders = apiKey ? { headers: { Authorization: `Bearer ${apiKey}` } } : {};
const serverEnv: Record<Variant, Record<string, string>> = {
  before: { ...keyEnv, ...parseEnv(args["before-env"]) },
  after: { ...keyEnv, ...parseEnv(args["after-env"]) },
};
const baseCommit = git("rev-parse", "--short", args.base);
const scratch = await mkdtemp(join(tmpdir(), "credit-ab-"));
const baseTree = join(scratch, "base");
/** Each run, with the server's CPU time per request (all its processes; null without /proc). */
const rows: (LoadRow & {
  variant: Variant;
  round: number;
  server_cpu_us_per_request: number | null;
})[] = [];
stopAllOnSignals(cleanUp);

try {
  await checkOutBase(baseTree, baseCommit);

  const set = await generated(Number(args.loans), 3 * 60_000);
  const template = join(scratch, "template.db");
  // Loaded by the base release: the other side then migrates its copy at start, as an upgrade
  // does, where a database a newer release migrated would stop the base release.
  const loader = await startNodeServer(template, {}, baseTree);
  console.log(`loading ${set.name} through the ingest script`);
  await ingest("node", loader.url, NODE_INGEST_TOKEN, set, join(scratch, "ingest.json"), 6e5);
  const population = await samplePopulation(loader.url, set.customers);
  await loader.stop();

  for (let round = 0; round < rounds; round += 1) {
    const order: Variant[] = round % 2 === 0 ? ["before", "after"] : ["after", "before"];
    for (const variant of order) {
      const database = join(scratch, `${variant}-${round}.db`);
      await copyDatabase(template, database);
      const server = await startNodeServer(
        database,
        serverEnv[variant],
        variant === "before" ? baseTree : ROOT,
      );
      try {
        const base = {
          target: variant,
          data: set.name,
          url: server.url,
          population,
          ...keyHeaders,
        };
        const durationSeconds = Number(args.duration);
        await warm({ ...base, connections: 10, durationSeconds }, 2);
        for (const endpoint of endpoints) {
          for (const count of connections) {
            const cpuBefore = groupCpuSeconds(server.group);
            const row = await measure(endpoint, { ...base, connections: count, durationSeconds });
            const cpuAfter = groupCpuSeconds(server.group);
            const cpuMicroseconds =
              cpuBefore === null || cpuAfter === null || row.requests === 0
                ? null
                : Math.round(((cpuAfter - cpuBefore) * 1e6) / row.requests);
            rows.push({ ...row, variant, round, server_cpu_us_per_request: cpuMicroseconds });
            console.log(
              `  round ${round + 1} ${variant}: ${endpoint} ×${count} ${row.requests_per_second} req/s, ${cpuMicroseconds ?? "?"} µs of server CPU per request`,
            );
          }
        }
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await cleanUp();
}

const table = summarise();
const out = join(ROOT, "bench/results");
const meta = { date: new Date().toISOString(), base: baseCommit, after: "working tree", args };
await writeFile(join(out, "ab-latest.json"), `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
await writeFile(join(out, "ab-latest.md"), table);
console.log(table);

function summarise(): string {
  const lines = [
    `before: ${baseCommit} ${args["before-env"]}, after: working tree ${args["after-env"]}; ${args.loans} loans; ${rounds} rounds of ${args.duration} s${apiKey ? "; API keys required and sent" : ""}; medians`,
    "",
    "| endpoint | conns | before req/s | after req/s | after ÷ before | before runs | after runs | server CPU µs/request, before → after | after ÷ before |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const endpoint of endpoints) {
    for (const count of connections) {
      const runs = (variant: Variant) =>
        rows.filter(
          (r) => r.endpoint === endpoint && r.connections === count && r.variant === variant,
        );
      const [before, after] = [runs("before"), runs("after")].map((list) =>
        list.map((r) => r.requests_per_second),
      ) as [number[], number[]];
      const ratio = Math.round(median(after)) / Math.round(median(before));
      const cpu = [runs("before"), runs("after")].map((list) => {
        const figures = list.flatMap((r) => r.server_cpu_us_per_request ?? []);
        return figures.length === list.length ? Math.round(median(figures)) : null;
      });
      const cpuColumns =
        cpu[0] && cpu[1]
          ? `${cpu[0]} → ${cpu[1]} | ${(cpu[1] / cpu[0]).toFixed(2)}×`
          : "not measured (no /proc) | —";
      lines.push(
        `| ${endpoint} | ${count} | ${Math.round(median(before))} | ${Math.round(median(after))} | ${ratio.toFixed(2)}× | ${before.join(", ")} | ${after.join(", ")} | ${cpuColumns} |`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Stops every server, removes the worktree and the scratch files: on success, failure or Ctrl-C. */
async function cleanUp(): Promise<void> {
  await stopAll();
  await rm(scratch, { recursive: true, force: true });
  git("worktree", "prune");
}
