/*
 * One phase per server: the Node server (scratch libSQL files) loaded with a data set through the
 * ingest path, in each of its configurations, or `wrangler dev` loaded with the lender's
 * workbooks; then the endpoints under load at each connection count. Each phase stops what it
 * started.
 */
import { join } from "node:path";
import { startLocalWorker } from "../../scripts/lib/local-worker";
import { type DataSet, type IngestRow, ingest, LENDER_DATA } from "./ingest";
import {
  type Endpoint,
  HELLO_WORLD,
  type LoadOptions,
  type LoadRow,
  measure,
  type Population,
  samplePopulation,
  warm,
} from "./load";
import {
  copyDatabase,
  NODE_INGEST_TOKEN,
  onStopAll,
  startHelloWorld,
  startNodeServer,
} from "./processes";
import { countRoundTrips, type RoundTripRow, roundTripNotes } from "./round-trips";

export interface PhaseSettings {
  scratch: string;
  durationSeconds: number;
  connections: number[];
  ingestTimeoutMs: number;
}

export interface PhaseResult {
  load: LoadRow[];
  ingest: IngestRow;
  /** D1 round trips per request, counted on the Worker (wrangler dev only). */
  roundTrips?: RoundTripRow[];
  notes?: string[];
}

const READS: Endpoint[] = [
  "GET /view-loan/{id}",
  "GET /view-loans/{id}",
  "POST /check-eligibility",
  "GET /view-statement/{customer}/{loan}",
  "GET /decisions/{id}",
  "GET /customers/{id}/decisions",
];

/** One configuration of the Node server under load: its row label, environment, connections. */
export interface ServerPass {
  target: string;
  env: Record<string, string | undefined>;
  /** Connection counts of this pass, when not every one of the settings. */
  connections?: number[];
}

/**
 * The default (`WEB_CONCURRENCY` unset: a process per core once serve forks) and one process, at
 * 10 connections only: at 1 connection one request is in flight at a time, so a cluster has no
 * more to offer than one process there, and the targets are set at 10.
 */
export const NODE_PASSES: ServerPass[] = [
  { target: "node", env: { WEB_CONCURRENCY: undefined } },
  { target: "node, 1 process", env: { WEB_CONCURRENCY: "1" }, connections: [10] },
];

/**
 * The data set is ingested once, by a one-process server, into a template file. Then each pass
 * gets a copy of it (so every pass starts from the same rows, whatever the previous one wrote) and
 * runs every endpoint. With `helloWorld`, the hello world runs beside the passes (idle while an
 * endpoint is measured) and is measured before the first pass, after each one, and right before
 * each endpoint at the targets' connection count: every such endpoint then lies between two
 * measurements of its ceiling taken seconds apart, as the issue's reference figures were
 * (interleaved), not minutes apart, which on a shared machine can differ by a third.
 */
export async function nodePhase(
  set: DataSet,
  endpoints: Endpoint[],
  settings: PhaseSettings,
  passes: ServerPass[],
  helloWorld: boolean,
): Promise<PhaseResult> {
  const template = join(settings.scratch, `${slug(set.name)}.db`);
  const loader = await startNodeServer(template, { WEB_CONCURRENCY: "1" });
  let loaded: IngestRow;
  let population: Population;
  try {
    console.log(`node server ${loader.url}: ingesting ${set.name}`);
    loaded = await ingest(
      "node",
      loader.url,
      NODE_INGEST_TOKEN,
      set,
      join(settings.scratch, `ingest-${slug(set.name)}.json`),
      settings.ingestTimeoutMs,
    );
    console.log(`  ${loaded.rows_landed} rows in ${loaded.seconds} s, ${loaded.peak_rss_mb} MB`);
    // Decisions are recorded into the template: every pass reads the same ones.
    population = await samplePopulation(loader.url, set.customers);
  } finally {
    await loader.stop();
  }
  const load: LoadRow[] = [];
  const notes: string[] = [];
  const hello = helloWorld ? await startHelloWorld() : null;
  try {
    if (hello) load.push(...(await measureHelloWorld(hello.url, settings)));
    for (const pass of passes) {
      const context = { set, endpoints, template, population, settings, hello };
      load.push(...(await runPass(pass, context, notes)));
      if (hello) load.push(...(await measureHelloWorld(hello.url, settings)));
    }
  } finally {
    await hello?.stop();
  }
  return { load, ingest: loaded, notes };
}

/** At this many connections each endpoint gets a hello-world run right before it. */
const INTERLEAVED_CONNECTIONS = 10;

/** What a pass measures, and against what. */
interface PassContext {
  set: DataSet;
  endpoints: Endpoint[];
  template: string;
  population: LoadOptions["population"];
  settings: PhaseSettings;
  /** The hello world running beside the pass, or null when this phase does not compare. */
  hello: { url: string } | null;
}

/** One server configuration, on a fresh copy of the template, every endpoint. */
async function runPass(
  pass: ServerPass,
  context: PassContext,
  notes: string[],
): Promise<LoadRow[]> {
  const { set, settings, hello } = context;
  const database = join(settings.scratch, `${slug(set.name)}-${slug(pass.target)}.db`);
  await copyDatabase(context.template, database);
  const server = await startNodeServer(database, pass.env);
  const load: LoadRow[] = [];
  try {
    notes.push(
      `${pass.target} (${describeEnv(pass.env)}), ${set.name}: ${server.processCount()} processes in its group (tsx and node for one server process, more once it forks workers)`,
    );
    const base = {
      target: pass.target,
      data: set.name,
      url: server.url,
      population: context.population,
      durationSeconds: settings.durationSeconds,
    };
    await warm({ ...base, connections: 10 }, 2);
    for (const endpoint of context.endpoints) {
      for (const connections of pass.connections ?? settings.connections) {
        if (hello && connections === INTERLEAVED_CONNECTIONS) {
          load.push(await measure(HELLO_WORLD, helloOptions(hello.url, settings, connections)));
          report(load.at(-1));
        }
        load.push(await measure(endpoint, { ...base, connections }));
        report(load.at(-1));
      }
    }
  } finally {
    await server.stop();
  }
  return load;
}

/** The hello-world server (the other server idle), at each connection count. */
async function measureHelloWorld(url: string, settings: PhaseSettings): Promise<LoadRow[]> {
  const rows: LoadRow[] = [];
  for (const connections of settings.connections) {
    rows.push(await measure(HELLO_WORLD, helloOptions(url, settings, connections)));
    report(rows.at(-1));
  }
  return rows;
}

/**
 * What limits the hello world: the same server at 10 connections loaded by one load-generator
 * thread, then by `workers` threads. More req/s with more threads means one thread of the load
 * generator, not the server, was the ceiling.
 */
export async function loadGeneratorCheck(
  settings: PhaseSettings,
  workers: number,
): Promise<LoadRow[]> {
  const server = await startHelloWorld();
  try {
    const options = helloOptions(server.url, settings, 10);
    const rows = [
      await measure(HELLO_WORLD, { ...options, workers: 1 }),
      await measure(HELLO_WORLD, { ...options, workers }),
    ];
    for (const row of rows) report(row);
    return rows.map((row) => ({ ...row, target: "hello world, load generator check" }));
  } finally {
    await server.stop();
  }
}

function helloOptions(url: string, settings: PhaseSettings, connections: number): LoadOptions {
  return {
    target: "hello world",
    data: "none",
    url,
    population: { customers: 1, loanIds: [1], decisions: [] },
    connections,
    durationSeconds: settings.durationSeconds,
  };
}

function describeEnv(env: Record<string, string | undefined>): string {
  return Object.entries(env)
    .map(([name, value]) => (value === undefined ? `${name} unset` : `${name}=${value}`))
    .join(", ");
}

/**
 * `wrangler dev` (Miniflare D1 and Queues) with the lender's data, and SERVER_TIMING=true so each
 * response reports its D1 round trips: after ingesting, one request per endpoint case is counted
 * (5 writes). Its rate-limit binding limits writes a minute per address (wrangler.toml), so each write endpoint
 * then gets a fixed, small number of requests (4 × `writesPerRun` in all); anything refused shows
 * as 429 in the status codes.
 */
export async function workerPhase(
  settings: PhaseSettings,
  writesPerRun: number,
): Promise<PhaseResult> {
  const worker = await startLocalWorker({ SERVER_TIMING: "true" });
  const forget = onStopAll(worker.stop);
  try {
    console.log(`wrangler dev ${worker.url}: ingesting ${LENDER_DATA.name}`);
    const loaded = await ingest(
      "wrangler dev",
      worker.url,
      worker.token,
      LENDER_DATA,
      join(settings.scratch, "ingest-worker.json"),
      settings.ingestTimeoutMs,
    );
    const population = await samplePopulation(worker.url, LENDER_DATA.customers);
    const counted = await roundTrips(worker.url);
    const base = {
      target: "wrangler dev",
      data: LENDER_DATA.name,
      url: worker.url,
      population,
      durationSeconds: settings.durationSeconds,
    };
    await warm({ ...base, connections: 10 }, 2);
    const load: LoadRow[] = [];
    for (const endpoint of READS) {
      for (const connections of settings.connections) {
        load.push(await measure(endpoint, { ...base, connections }));
        report(load.at(-1));
      }
    }
    for (const endpoint of [
      "POST /create-loan",
      "POST /register",
      "POST /make-payment/{customer}/{loan}",
    ] as const) {
      for (const connections of settings.connections) {
        const amount = Math.max(writesPerRun, connections);
        load.push(await measure(endpoint, { ...base, connections, amount }));
        report(load.at(-1));
      }
    }
    return { load, ingest: loaded, ...counted };
  } finally {
    forget();
    await worker.stop();
  }
}

/** One request per endpoint case, counted; a failure becomes a note, not the end of the run. */
async function roundTrips(url: string): Promise<{ roundTrips: RoundTripRow[]; notes: string[] }> {
  try {
    const rows = await countRoundTrips(url);
    for (const row of rows) {
      console.log(
        `  D1 round trips ${row.endpoint}: ${row.counted ?? "?"} (budget ${row.budget}), ${row.status}`,
      );
    }
    const notes = roundTripNotes(rows);
    for (const note of notes) console.warn(`  WARNING: ${note}`);
    return { roundTrips: rows, notes };
  } catch (error) {
    const note = `round trips not counted: ${(error as Error).message.slice(0, 300)}`;
    console.warn(`  WARNING: ${note}`);
    return { roundTrips: [], notes: [note] };
  }
}

function report(row: LoadRow | undefined): void {
  if (!row) return;
  console.log(
    `  ${row.target} ${row.endpoint} ×${row.connections}: ${row.requests_per_second} req/s, p50 ${row.latency_p50_ms} ms, p99 ${row.latency_p99_ms} ms, ${JSON.stringify(row.status_codes)}`,
  );
}

function slug(name: string): string {
  return name.replace(/[^a-z0-9]+/gi, "-");
}
