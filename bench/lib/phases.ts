/*
 * One phase per server: a fresh Node server (scratch libSQL file) loaded with a data set through
 * the ingest path, or `wrangler dev` loaded with the lender's workbooks; then the endpoints under
 * load at each connection count. Each phase stops what it started.
 */
import { join } from "node:path";
import { startLocalWorker } from "../../scripts/lib/local-worker";
import { type DataSet, type IngestRow, ingest, LENDER_DATA } from "./ingest";
import { type Endpoint, type LoadRow, measure, sampleLoanIds, warm } from "./load";
import { NODE_INGEST_TOKEN, onStopAll, startNodeServer } from "./processes";
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
];

export async function nodePhase(
  set: DataSet,
  endpoints: Endpoint[],
  settings: PhaseSettings,
): Promise<PhaseResult> {
  const server = await startNodeServer(join(settings.scratch, `${slug(set.name)}.db`));
  try {
    console.log(`node server ${server.url}: ingesting ${set.name}`);
    const loaded = await ingest(
      "node",
      server.url,
      NODE_INGEST_TOKEN,
      set,
      join(settings.scratch, `ingest-${slug(set.name)}.json`),
      settings.ingestTimeoutMs,
    );
    console.log(`  ${loaded.rows_landed} rows in ${loaded.seconds} s, ${loaded.peak_rss_mb} MB`);
    const base = {
      target: "node",
      data: set.name,
      url: server.url,
      population: {
        customers: set.customers,
        loanIds: await sampleLoanIds(server.url, set.customers),
      },
      durationSeconds: settings.durationSeconds,
    };
    await warm({ ...base, connections: 10 }, 2);
    const load: LoadRow[] = [];
    for (const endpoint of endpoints) {
      for (const connections of settings.connections) {
        load.push(await measure(endpoint, { ...base, connections }));
        report(load.at(-1));
      }
    }
    return { load, ingest: loaded };
  } finally {
    await server.stop();
  }
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
    const loanIds = await sampleLoanIds(worker.url, LENDER_DATA.customers);
    const counted = await roundTrips(worker.url, loanIds);
    const base = {
      target: "wrangler dev",
      data: LENDER_DATA.name,
      url: worker.url,
      population: {
        customers: LENDER_DATA.customers,
        loanIds,
      },
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
async function roundTrips(
  url: string,
  loanIds: number[],
): Promise<{ roundTrips: RoundTripRow[]; notes: string[] }> {
  const loanId = loanIds[0];
  if (loanId === undefined) return { roundTrips: [], notes: ["round trips: no loan to view"] };
  try {
    const rows = await countRoundTrips(url, loanId);
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
