/**
 * `npm run bench`: autocannon against the Node server (libSQL file database) with the lender's
 * data loaded through the ingest path, on 127.0.0.1, for a bounded time per endpoint.
 *
 *   BENCH_DURATION   seconds per endpoint (default 10)
 *   BENCH_CONNECTIONS concurrent connections (default 10)
 *
 * Results go to bench/results/<timestamp>.json (gitignored); a summary is printed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon, { type Result } from "autocannon";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DURATION = positive(process.env.BENCH_DURATION, 10);
const CONNECTIONS = positive(process.env.BENCH_CONNECTIONS, 10);
const CUSTOMERS = 300;

interface Scenario {
  name: string;
  method: "GET" | "POST";
  /** A fresh request per call: the customer changes, so no single row stays hot. */
  next: () => { path: string; body?: string };
}

const randomCustomer = () => 1 + Math.floor(Math.random() * CUSTOMERS);
const scenarios: Scenario[] = [
  {
    name: "GET /view-loans/{customer_id}",
    method: "GET",
    next: () => ({ path: `/view-loans/${randomCustomer()}` }),
  },
  {
    name: "POST /check-eligibility",
    method: "POST",
    next: () => ({
      path: "/check-eligibility",
      body: JSON.stringify({
        customer_id: randomCustomer(),
        loan_amount: 50_000 + 1_000 * Math.floor(Math.random() * 500),
        interest_rate: 11.5,
        tenure: 24,
      }),
    }),
  },
];

const directory = await mkdtemp(join(tmpdir(), "credit-bench-"));
const server = spawnServer(directory);
try {
  const url = await serverUrl(server.child, () => server.output);
  console.log(`server ${url} (libSQL file in ${directory}), data loaded through the ingest path`);
  // Warm the JIT and the page cache before measuring.
  await run(url, scenarios[0] as Scenario, 2);

  const results: { scenario: string; result: Result }[] = [];
  for (const scenario of scenarios) {
    console.log(`${scenario.name}: ${DURATION} s, ${CONNECTIONS} connections`);
    results.push({ scenario: scenario.name, result: await run(url, scenario, DURATION) });
  }

  const summary = results.map(({ scenario, result }) => ({
    scenario,
    requests_per_second: Math.round(result.requests.average),
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    requests: result.requests.total,
    non_2xx: result.non2xx,
    errors: result.errors,
  }));
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = join(ROOT, "bench/results", `${stamp}.json`);
  await writeFile(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
        settings: { duration_s: DURATION, connections: CONNECTIONS, backend: "node + libSQL file" },
        summary,
        raw: results,
      },
      null,
      2,
    )}\n`,
  );
  console.table(summary);
  console.log(`results: ${file}`);
  if (summary.some((row) => row.non_2xx > 0 || row.errors > 0)) process.exitCode = 1;
} finally {
  await stop(server.child);
  await rm(directory, { recursive: true, force: true });
}

function run(url: string, scenario: Scenario, duration: number): Promise<Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    headers: { "Content-Type": "application/json" },
    requests: [
      {
        method: scenario.method,
        setupRequest: (request) => ({ ...request, ...scenario.next() }),
      },
    ],
  });
}

/** `npm run serve` on a free port and a scratch database, seeded from data/ as it starts. */
function spawnServer(dir: string) {
  const state = { child: undefined as unknown as ChildProcess, output: "" };
  state.child = spawn(join(ROOT, "node_modules/.bin/tsx"), ["scripts/serve.ts"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      DATABASE_URL: `file:${join(dir, "credit.db")}`,
      AS_OF_DATE: "2025-06-15",
      NODE_ENV: "production",
    },
  });
  for (const stream of [state.child.stdout, state.child.stderr]) {
    stream?.on("data", (data: Buffer) => {
      state.output += data.toString();
    });
  }
  return state;
}

function serverUrl(child: ChildProcess, output: () => string, timeoutMs = 120_000) {
  return new Promise<string>((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const url = /ready: API (http:\/\/\S+)/.exec(output())?.[1];
      if (url && /every row landed/.test(output())) {
        clearInterval(poll);
        resolve(url);
      } else if (url || child.exitCode !== null || Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`the server did not start with the data loaded:\n${output()}`));
      }
    }, 100);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid, "SIGTERM");
  await exited;
}

function positive(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}
