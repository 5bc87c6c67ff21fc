/**
 * `npm run bench:reference`: the product against a stand-in for the performance issue's reference
 * (a Django/DRF implementation of the same API, bench/reference/), both on this machine in one run.
 *
 *   1. `npm run serve` seeds a scratch libSQL file with the lender's workbooks (data/*.xlsx) and
 *      stops; the stand-in gets a copy of that file, so both answer from the same rows;
 *   2. `npm run serve` (its default cluster) and gunicorn (2 sync workers), both on 127.0.0.1 with
 *      AS_OF_DATE=2025-06-15; every customer's view-loans and check-eligibility answers compared
 *      on their key fields (it stops if any differs: the figures would not compare);
 *   3. wrk -t2 -c10 -d5s, the issue's settings, on `GET /view-loans/8` and `POST
 *      /check-eligibility` (customer 173): three rounds, the two servers interleaved (reference,
 *      product, reference, ...), medians and p99.
 *
 *   BENCH_DURATION  seconds per run (default 5)
 *
 * Needs wrk and Debian's python3-django, python3-djangorestframework and gunicorn; without them it
 * says so and exits 0 ("skipped"). Writes bench/results/reference-latest.md (gitignored). Not part
 * of `npm run bench`.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../scripts/lib/local-worker";
import { recordOutput, spawnGroup, stopGroup } from "../scripts/lib/process-group";
import { git, median } from "./lib/comparison";
import { groupCpuSeconds } from "./lib/cpu-time";
import { LENDER_DATA } from "./lib/ingest";
import {
  copyDatabase,
  onStopAll,
  ROOT,
  startNodeServer,
  stopAll,
  stopAllOnSignals,
} from "./lib/processes";
import {
  eligibilityBody,
  eligibilityDiffers,
  loansDiffer,
  markdown,
  type ReferenceEndpoint,
  type ReferenceRun,
  type ReferenceTarget,
  referenceRequest,
  summarise,
} from "./lib/reference";
import { runWrk, wrkInstalled } from "./lib/wrk";

const DURATION = Math.max(1, Number(process.env.BENCH_DURATION) || 5);
const ROUNDS = 3;
const AS_OF_DATE = "2025-06-15";
const DJANGO_PROJECT = join(ROOT, "bench/reference");
const ENDPOINTS: ReferenceEndpoint[] = ["GET /view-loans/8", "POST /check-eligibility"];

const missing = missingTools();
if (missing !== null) {
  console.log(`bench:reference skipped: ${missing}`);
  process.exit(0);
}

const watchdog = setTimeout(() => {
  console.error("bench:reference: over 10 minutes, stopping everything");
  void stopAll().finally(() => process.exit(1));
}, 10 * 60_000);
stopAllOnSignals();

const scratch = await mkdtemp(join(tmpdir(), "credit-reference-"));
const startLoad = loadavg().map(twoDecimals);
try {
  const productDb = join(scratch, "product.db");
  console.log("seeding the lender's workbooks (npm run serve, one process)");
  const seeding = await startNodeServer(productDb, { SEED: "true", WEB_CONCURRENCY: "1" });
  await seeding.stop();
  const referenceDb = join(scratch, "reference.db");
  await copyDatabase(productDb, referenceDb);

  const product = await startNodeServer(productDb);
  const reference = await startGunicorn(referenceDb);
  const servers: Record<ReferenceTarget, { url: string; group: number }> = {
    "reference (Django/DRF)": reference,
    "product (npm run serve)": product,
  };

  const compared = await compareAnswers(product.url, reference.url);
  console.log(compared);

  console.log("warming both servers");
  for (const { url } of Object.values(servers)) {
    for (const endpoint of ENDPOINTS) await measure(url, endpoint, 2);
  }
  const runs: ReferenceRun[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const endpoint of ENDPOINTS) {
      for (const target of Object.keys(servers) as ReferenceTarget[]) {
        const { url, group } = servers[target];
        const cpuBefore = groupCpuSeconds(group);
        const result = await measure(url, endpoint, DURATION);
        const cpuAfter = groupCpuSeconds(group);
        const cpuSeconds = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
        const rps = Math.round(result.requests / result.seconds);
        console.log(`  round ${round} ${endpoint} ${target}: ${rps} req/s`);
        const loadAverage = twoDecimals(loadavg()[0] ?? 0);
        runs.push({ round, endpoint, target, result, loadAverage, cpuSeconds });
      }
    }
  }

  const report = markdown({
    date: new Date().toISOString(),
    commit: git("rev-parse", "--short", "HEAD"),
    wrk: `wrk -t2 -c10 -d${DURATION}s, ${ROUNDS} rounds`,
    loadAverages: { start: startLoad, end: loadavg().map(twoDecimals) },
    productProcesses: product.processCount(),
    compared,
    rows: summarise(runs, median),
  });
  await writeFile(join(ROOT, "bench/results/reference-latest.md"), report);
  console.log(`\n${report}\nresults: bench/results/reference-latest.md`);
} finally {
  clearTimeout(watchdog);
  await stopAll();
  await rm(scratch, { recursive: true, force: true });
}

/** What is not installed, in a sentence; null when everything is. */
function missingTools(): string | null {
  const install = "apt-get install wrk python3-django python3-djangorestframework gunicorn";
  if (!wrkInstalled()) return `wrk is not installed (${install})`;
  // --check-config imports the WSGI application: Django and DRF must load, not only gunicorn.
  const check = spawnSync(
    "gunicorn",
    ["--check-config", "--chdir", DJANGO_PROJECT, "reference.wsgi"],
    { encoding: "utf8", env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
  );
  if (check.error !== undefined) return `gunicorn is not installed (${install})`;
  const output = `${check.stdout}${check.stderr}`;
  const module = /No module named '(django|rest_framework)/.exec(output)?.[1];
  if (module !== undefined) return `gunicorn's Python has no ${module} (${install})`;
  if (check.status !== 0) throw new Error(`the Django stand-in does not load:\n${output}`);
  return null;
}

/** gunicorn with 2 sync workers in its own process group, stopped (by group) with the rest. */
async function startGunicorn(databaseFile: string): Promise<{ url: string; group: number }> {
  const port = await freePort();
  const child: ChildProcess = spawnGroup(
    "gunicorn",
    ["--chdir", DJANGO_PROJECT, "--workers", "2", "--bind", `127.0.0.1:${port}`, "reference.wsgi"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PYTHONDONTWRITEBYTECODE: "1",
        REFERENCE_DATABASE: databaseFile,
        AS_OF_DATE,
      },
    },
  );
  const output = recordOutput(child);
  onStopAll(() => stopGroup(child));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const answered = await fetch(`${url}/view-loans/8`).catch(() => null);
    if (answered?.ok) return { url, group: child.pid ?? 0 };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`gunicorn did not start:\n${output.text().slice(-2000)}`);
}

/** Every customer's view-loans and check-eligibility, from both; stops at any difference. */
async function compareAnswers(productUrl: string, referenceUrl: string): Promise<string> {
  const differences: string[] = [];
  for (let customer = 1; customer <= LENDER_DATA.customers; customer++) {
    const path = `/view-loans/${customer}`;
    const [p, r] = await Promise.all([getJson(productUrl, path), getJson(referenceUrl, path)]);
    differences.push(...loansDiffer(p, r).map((line) => `${path}: ${line}`));
    const body = eligibilityBody(customer);
    const [pe, re] = await Promise.all([
      postJson(productUrl, "/check-eligibility", body),
      postJson(referenceUrl, "/check-eligibility", body),
    ]);
    differences.push(...eligibilityDiffers(pe, re).map((line) => `customer ${customer}: ${line}`));
  }
  if (differences.length > 0) {
    throw new Error(`the two servers' answers differ:\n${differences.slice(0, 20).join("\n")}`);
  }
  return `Both answered the same key fields for all ${LENDER_DATA.customers} customers' view-loans and check-eligibility (₹1,00,000, 11.5 %, 24 months).`;
}

async function getJson(base: string, path: string): Promise<unknown> {
  const response = await fetch(`${base}${path}`);
  if (!response.ok) throw new Error(`${base}${path} answered ${response.status}`);
  return response.json();
}

async function postJson(base: string, path: string, body: string): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  if (!response.ok) throw new Error(`${base}${path} answered ${response.status} to ${body}`);
  return response.json();
}

function measure(url: string, endpoint: ReferenceEndpoint, seconds: number) {
  return runWrk({
    url,
    connections: 10,
    threads: 2,
    durationSeconds: seconds,
    requests: [referenceRequest(endpoint)],
  });
}

function twoDecimals(value: number): number {
  return Math.round(value * 100) / 100;
}
