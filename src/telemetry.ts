import type { DatabaseErrorKind } from "./db/error-kind";
import type { Decision, RefusalCode } from "./domain/decision";

/*
 * What the app tells an operator about itself, as events. The core only emits them; each runtime
 * decides where they go: Prometheus on the Node server (src/node/metrics.ts), Workers Analytics
 * Engine on the Worker (src/worker/analytics.ts), nowhere by default. An event never carries an
 * id, a name, a phone number or an amount: only route templates, outcomes, codes and counts.
 */

type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";
/** A status class, or `aborted`: the client closed the connection before its answer was ready. */
export type RequestOutcome = StatusClass | "aborted";

interface RequestEvent {
  method: string;
  /** The route's template (`/view-loan/{loan_id}`), never the raw path; `unmatched` for a 404. */
  route: string;
  status: number;
  /** The client had closed the connection by the time the answer was ready (Node server only). */
  clientGone: boolean;
  durationMs: number;
}

/** The methods a request's metrics name; any other (a client may send anything) is `OTHER`. */
const REQUEST_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
]);

/** A request's method as both runtimes' metrics label it: one value per spelling is unbounded. */
export function requestMethod(method: string): string {
  return REQUEST_METHODS.has(method) ? method : "OTHER";
}

export const DECISION_ENDPOINTS = ["check-eligibility", "create-loan"] as const;
export type DecisionEndpoint = (typeof DECISION_ENDPOINTS)[number];

/** Every refusal code, in the order of the Worker's data point doubles (src/worker/analytics.ts). */
export const REFUSAL_CODES = [
  "CURRENT_LOANS_OVER_LIMIT",
  "CREDIT_SCORE_TOO_LOW",
  "OVER_APPROVED_LIMIT",
  "EMI_OVER_HALF_SALARY",
] as const satisfies readonly RefusalCode[];
// Fails to compile when a refusal code is added to the domain and not here.
const everyCodeListed: RefusalCode extends (typeof REFUSAL_CODES)[number] ? true : never = true;
void everyCodeListed;

/** A decision's outcome as the metrics and the Worker's data points label it. */
export const DECISION_OUTCOMES = ["approved", "refused"] as const;

export function decisionOutcome(approved: boolean): (typeof DECISION_OUTCOMES)[number] {
  return approved ? "approved" : "refused";
}

export interface DecisionEvent {
  endpoint: DecisionEndpoint;
  approved: boolean;
  /** Every refusal reason of the decision (none when approved). */
  reasons: RefusalCode[];
}

export const INGEST_KINDS = ["customers", "loans"] as const;

/** Rows of one chunk, by what the consumer did with them. */
export interface IngestEvent {
  kind: (typeof INGEST_KINDS)[number];
  /** Rows delivered to the consumer (a redelivered chunk counts again). */
  read: number;
  landed: number;
  rejected: number;
  /** Rows of a chunk that gave up and went to the dead-letter queue. */
  dead: number;
}

/** An ingest event's counts, each a stage of a metric's label. */
export const INGEST_STAGES = [
  "read",
  "landed",
  "rejected",
  "dead",
] as const satisfies readonly (keyof Omit<IngestEvent, "kind">)[];
// Fails to compile when a count is added to IngestEvent and not here.
const everyStageListed: keyof Omit<IngestEvent, "kind"> extends (typeof INGEST_STAGES)[number]
  ? true
  : never = true;
void everyStageListed;

export interface Telemetry {
  recordRequest(event: RequestEvent): void;
  recordDecision(event: DecisionEvent): void;
  recordIngest(event: IngestEvent): void;
  recordDatabaseError(kind: DatabaseErrorKind): void;
}

/** The default: metrics are off. */
export const noTelemetry: Telemetry = {
  recordRequest: () => {},
  recordDecision: () => {},
  recordIngest: () => {},
  recordDatabaseError: () => {},
};

function statusClass(status: number): StatusClass {
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  if (status >= 300) return "3xx";
  if (status >= 200) return "2xx";
  return "1xx";
}

/**
 * `aborted` for a request whose client left before the answer, whatever the app answered (its
 * body cut short reads as a 400): the client's doing, not an error to alarm on. A 5xx stays a
 * 5xx: the server's own failure counts whether or not anyone waited for it.
 */
export function requestOutcome(status: number, clientGone: boolean): RequestOutcome {
  return clientGone && status < 500 ? "aborted" : statusClass(status);
}

export function decisionEvent(endpoint: DecisionEndpoint, decision: Decision): DecisionEvent {
  return {
    endpoint,
    approved: decision.approved,
    reasons: decision.reasons.map((reason) => reason.code),
  };
}

/** An ingest event with every count but the ones given at zero. */
export function ingestEvent(
  kind: IngestEvent["kind"],
  counts: Partial<Omit<IngestEvent, "kind">>,
): IngestEvent {
  return { kind, read: 0, landed: 0, rejected: 0, dead: 0, ...counts };
}
