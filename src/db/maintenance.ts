import { DEFAULT_DECISION_RETENTION_MONTHS, DEFAULT_INGEST_RETENTION_DAYS } from "../config";
import { addMonths } from "../domain/dates";
import { log } from "../lib/log";
import type { Database } from "./database";
import { deleteDecisionsBefore } from "./decisions";
import { deleteExpiredKeys } from "./idempotency";
import { deleteExpiredJobs, ingestRetentionCutoff } from "./ingest-retention";

/*
 * Scheduled housekeeping, outside any request's transaction: a Workers Cron Trigger runs it on
 * the Worker (src/worker/index.ts, wrangler.toml), a timer on the Node server
 * (src/node/maintenance-timer.ts). Each sweep deletes stale rows a bounded batch at a time;
 * another kind of expiry is one more entry in SWEEPS.
 */

/** What the runtimes configure: the Worker from its vars, the Node server from its env. */
export interface RetentionSettings {
  /** Decision records older than this many calendar months are deleted. */
  decisionRetentionMonths: number;
  /** Ingest jobs whose latest chunk activity is older than this many days are deleted. */
  ingestRetentionDays: number;
}

/** The setting's default (src/config.ts), for callers that run the sweeps without a config. */
export const DEFAULT_RETENTION: RetentionSettings = {
  decisionRetentionMonths: DEFAULT_DECISION_RETENTION_MONTHS,
  ingestRetentionDays: DEFAULT_INGEST_RETENTION_DAYS,
};

/** The instant `months` calendar months before `nowMs` (clamped to the month's end), as ISO text. */
function retentionCutoff(nowMs: number, months: number): string {
  const now = new Date(nowMs).toISOString();
  return `${addMonths(now.slice(0, 10), -months)}${now.slice(10)}`;
}

interface Sweep {
  name: string;
  /**
   * Deletes at most `limit` stale rows as of `nowMs` in one statement, or one batch (the decision
   * records' is three statements: their inputs are counted off first), or (the ingest jobs') up to
   * four statements, one per bookkeeping table, that share the `limit`; returns how many.
   */
  deleteBatch(
    db: Database,
    nowMs: number,
    limit: number,
    retention: RetentionSettings,
  ): Promise<number>;
}

const SWEEPS: readonly Sweep[] = [
  {
    name: "expired_idempotency_keys",
    deleteBatch: async (db, nowMs, limit) => (await deleteExpiredKeys(db, nowMs, limit)).length,
  },
  {
    name: "expired_decision_records",
    deleteBatch: async (db, nowMs, limit, retention) =>
      (
        await deleteDecisionsBefore(
          db,
          retentionCutoff(nowMs, retention.decisionRetentionMonths),
          limit,
        )
      ).length,
  },
  {
    name: "expired_ingest_jobs",
    deleteBatch: (db, nowMs, limit, retention) =>
      deleteExpiredJobs(db, ingestRetentionCutoff(nowMs, retention.ingestRetentionDays), limit),
  },
];

interface SweepLimits {
  /** Rows per delete: each statement binds at most three parameters, far below D1's 100. */
  rowsPerStatement: number;
  /**
   * Deletes per sweep per run. With 100, the keys' sweep makes 100 queries, the decision
   * records' 300 (three statements a batch) and the ingest jobs' at most 400 (four a batch): 800,
   * within D1's 1,000 per Worker invocation. A new sweep counts its statements against what is
   * left. What is left over waits for the next run.
   */
  statementsPerSweep: number;
}

const DEFAULT_SWEEP_LIMITS: SweepLimits = { rowsPerStatement: 500, statementsPerSweep: 100 };

export interface MaintenanceOptions {
  retention?: RetentionSettings;
  sweeps?: readonly Sweep[];
  limits?: SweepLimits;
}

/** Runs every sweep once; returns the rows each deleted. */
export async function runMaintenance(
  db: Database,
  nowMs: number,
  {
    retention = DEFAULT_RETENTION,
    sweeps = SWEEPS,
    limits = DEFAULT_SWEEP_LIMITS,
  }: MaintenanceOptions = {},
): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const sweep of sweeps) {
    let total = 0;
    for (let statement = 0; statement < limits.statementsPerSweep; statement++) {
      const batch = await sweep.deleteBatch(db, nowMs, limits.rowsPerStatement, retention);
      total += batch;
      if (batch < limits.rowsPerStatement) break;
    }
    deleted[sweep.name] = total;
  }
  log("info", "maintenance swept", { deleted });
  return deleted;
}
