import { log } from "../lib/log";
import {
  decisionOutcome,
  noTelemetry,
  REFUSAL_CODES,
  requestMethod,
  requestOutcome,
  type Telemetry,
} from "../telemetry";

/*
 * The Worker's metrics: one Workers Analytics Engine data point per event, through the `METRICS`
 * binding (`[[analytics_engine_datasets]]` in wrangler.toml). `writeDataPoint` returns nothing
 * and sends in the background, so nothing waits for it; a throw is swallowed, so metrics never
 * fail a request. Without the binding, metrics are off. The layout of each point, which the SQL
 * in docs/operations.md reads:
 *
 * | event            | index1 / blob1   | blob2    | blob3    | blob4        | doubles                                  |
 * |------------------|------------------|----------|----------|--------------|------------------------------------------|
 * | a request        | `request`        | method   | route    | status class | 1 duration ms, 2 status                  |
 * | a decision       | `decision`       | endpoint | outcome  | reason codes | 1 approved (1/0), 2–5 one per reason (1/0, REFUSAL_CODES order) |
 * | ingested rows    | `ingest`         | kind     |          |              | 1 read, 2 landed, 3 rejected, 4 dead     |
 * | a database error | `database_error` | kind     |          |              | 1 count (1)                              |
 *
 * The method is named as on the Node server (requestMethod): one the list does not hold is `OTHER`.
 */

/** Whether "METRICS is not a dataset" was logged: once per isolate is enough to be found. */
let notADatasetLogged = false;
/** Datasets whose failed write was logged: once each, not once per request. */
const failureLogged = new WeakSet<object>();

export function analyticsTelemetry(dataset: AnalyticsEngineDataset | undefined): Telemetry {
  if (!dataset) return noTelemetry;
  // A `[vars]` entry named METRICS, say, in place of the dataset block: every write used to throw
  // and be swallowed, and the metrics were lost without a word.
  if (typeof (dataset as { writeDataPoint?: unknown }).writeDataPoint !== "function") {
    if (!notADatasetLogged) {
      notADatasetLogged = true;
      log("warn", "metrics off: METRICS is not an Analytics Engine dataset", {
        bound: typeof dataset,
      });
    }
    return noTelemetry;
  }
  const write = (point: AnalyticsEngineDataPoint) => {
    try {
      dataset.writeDataPoint(point);
    } catch (error) {
      // Metrics are best effort: a failed write must not fail the request or the batch. Said
      // once per dataset (the error's class only), so that lost metrics are noticed.
      if (!failureLogged.has(dataset)) {
        failureLogged.add(dataset);
        log("warn", "metrics write failed", { error: (error as Error)?.name ?? "error" });
      }
    }
  };
  return {
    recordRequest: ({ method, route, status, clientGone, durationMs }) =>
      write({
        indexes: ["request"],
        blobs: ["request", requestMethod(method), route, requestOutcome(status, clientGone)],
        doubles: [durationMs, status],
      }),
    recordDecision: ({ endpoint, approved, reasons }) =>
      write({
        indexes: ["decision"],
        blobs: ["decision", endpoint, decisionOutcome(approved), reasons.join(",")],
        doubles: [
          approved ? 1 : 0,
          ...REFUSAL_CODES.map((code) => (reasons.includes(code) ? 1 : 0)),
        ],
      }),
    recordIngest: ({ kind, read, landed, rejected, dead }) =>
      write({
        indexes: ["ingest"],
        blobs: ["ingest", kind],
        doubles: [read, landed, rejected, dead],
      }),
    recordDatabaseError: (kind) =>
      write({ indexes: ["database_error"], blobs: ["database_error", kind], doubles: [1] }),
  };
}
