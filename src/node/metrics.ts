import {
  type Counter,
  Counter as CounterMetric,
  collectDefaultMetrics,
  Gauge,
  type Histogram,
  Histogram as HistogramMetric,
  Registry,
} from "prom-client";
import { DATABASE_ERROR_KINDS } from "../db/error-kind";
import { QUEUE_SETTINGS } from "../ingest/queue";
import {
  DECISION_ENDPOINTS,
  DECISION_OUTCOMES,
  decisionOutcome,
  INGEST_KINDS,
  INGEST_STAGES,
  REFUSAL_CODES,
  type RequestOutcome,
  requestMethod,
  requestOutcome,
  type Telemetry,
} from "../telemetry";

/*
 * The Node server's metrics: the core's telemetry events (src/telemetry.ts) as Prometheus
 * metrics, exposed at GET /metrics (src/node/metrics-route.ts). Each runtime has its own registry,
 * so tests can open several. Labels are route templates, methods, status classes, outcomes, codes
 * and kinds: a bounded set, and never personal data.
 *
 * Under node:cluster (WEB_CONCURRENCY > 1) every process keeps its own registry and the primary
 * adds them up for a scrape (src/node/cluster/primary.ts, docs/operations.md).
 */

export interface NodeMetrics extends Telemetry {
  registry: Registry;
  /** Reports a queue's depth at every scrape. */
  watchQueue(name: string, depth: () => number): void;
  /** Reports the writes waiting for another process's write lock at every scrape. */
  watchWritesWaiting(count: () => number): void;
}

/** Seconds; a read answers in a few ms on a file database, a slow write under lock in seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type RequestLabel = "method" | "route" | "status_class";

export function createNodeMetrics(): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new CounterMetric<RequestLabel>({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route template and status class (aborted: the client left first).",
    labelNames: ["method", "route", "status_class"],
    registers: [registry],
  });
  const latency = new HistogramMetric<RequestLabel>({
    name: "http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method, route template and status class.",
    labelNames: ["method", "route", "status_class"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const decisions = new CounterMetric<"endpoint" | "outcome">({
    name: "credit_decisions_total",
    help: "Lending decisions made (check-eligibility and create-loan), by outcome.",
    labelNames: ["endpoint", "outcome"],
    registers: [registry],
  });
  const refusals = new CounterMetric<"endpoint" | "reason">({
    name: "credit_refusal_reasons_total",
    help: "Reasons given for refused decisions (a refusal can give several).",
    labelNames: ["endpoint", "reason"],
    registers: [registry],
  });
  const ingestRows = new CounterMetric<"kind" | "stage">({
    name: "ingest_rows_total",
    help: "Workbook rows seen by the queue consumer: read (each delivery), landed, rejected, dead.",
    labelNames: ["kind", "stage"],
    registers: [registry],
  });
  const databaseErrors = new CounterMetric<"kind">({
    name: "database_errors_total",
    help: "Database errors met by requests and by the queue consumer, by kind.",
    labelNames: ["kind"],
    registers: [registry],
  });
  // Every series of a known label set is exposed from the start, at 0: one that first appears at
  // 1 is never seen to rise by rate() or increase() (an alert on the first damaged database would
  // not fire), and a panel over a series not there yet shows "No data".
  for (const endpoint of DECISION_ENDPOINTS) {
    for (const outcome of DECISION_OUTCOMES) decisions.inc({ endpoint, outcome }, 0);
    for (const reason of REFUSAL_CODES) refusals.inc({ endpoint, reason }, 0);
  }
  for (const kind of INGEST_KINDS) {
    for (const stage of INGEST_STAGES) ingestRows.inc({ kind, stage }, 0);
  }
  for (const kind of DATABASE_ERROR_KINDS) databaseErrors.inc({ kind }, 0);
  // Each queue's depth is 0 until the process that holds the queue watches it.
  const queues = new Map<string, () => number>(
    [QUEUE_SETTINGS.ingest.name, QUEUE_SETTINGS.deadLetters.name].map((name) => [name, () => 0]),
  );
  new Gauge<"queue">({
    name: "ingest_queue_depth",
    help: "Messages waiting in the in-process ingest queues (ready or delayed for a retry).",
    labelNames: ["queue"],
    registers: [registry],
    collect() {
      for (const [queue, depth] of queues) this.set({ queue }, depth());
    },
  });

  // 0 until the process's database is watched; a write waiting out another process's lock raises it.
  let writesWaiting = () => 0;
  new Gauge({
    name: "database_writes_waiting",
    help: "Writes waiting past 25 ms for a write lock another process holds on the database file (another worker, the ingest consumer, a script).",
    registers: [registry],
    collect() {
      this.set(writesWaiting());
    },
  });

  // A request's children, looked up once per label combination: label hashing is most of what a
  // metric costs on the hot path.
  const requestChildren = new Map<
    string,
    { count: Counter.Internal; time: Histogram.Internal<RequestLabel> }
  >();
  const requestChild = (method: string, route: string, status: RequestOutcome) => {
    const key = `${method} ${route} ${status}`;
    let child = requestChildren.get(key);
    if (child === undefined) {
      const labels = { method, route, status_class: status };
      child = { count: requests.labels(labels), time: latency.labels(labels) };
      requestChildren.set(key, child);
    }
    return child;
  };

  return {
    registry,
    watchQueue: (name, depth) => {
      queues.set(name, depth);
    },
    watchWritesWaiting: (count) => {
      writesWaiting = count;
    },
    recordRequest: ({ method, route, status, clientGone, durationMs }) => {
      const child = requestChild(requestMethod(method), route, requestOutcome(status, clientGone));
      child.count.inc();
      child.time.observe(durationMs / 1000);
    },
    recordDecision: ({ endpoint, approved, reasons }) => {
      decisions.inc({ endpoint, outcome: decisionOutcome(approved) });
      for (const reason of reasons) refusals.inc({ endpoint, reason });
    },
    recordIngest: (event) => {
      for (const stage of INGEST_STAGES) {
        if (event[stage] > 0) ingestRows.inc({ kind: event.kind, stage }, event[stage]);
      }
    },
    recordDatabaseError: (kind) => databaseErrors.inc({ kind }),
  };
}
