import { log } from "../lib/log";
import type { Database } from "./client";
import { deleteExpiredKeys } from "./idempotency";

/*
 * Scheduled housekeeping, outside any request's transaction: a Workers Cron Trigger runs it on
 * the Worker (src/worker/index.ts, wrangler.toml), a timer on the Node server (src/node/maintenance-timer.ts).
 * Each sweep deletes stale rows a bounded batch at a time; another kind of expiry is one more
 * entry in SWEEPS.
 */

export interface Sweep {
  name: string;
  /** Deletes at most `limit` stale rows as of `nowMs` in one statement; returns how many. */
  deleteBatch(db: Database, nowMs: number, limit: number): Promise<number>;
}

export const SWEEPS: readonly Sweep[] = [
  {
    name: "expired_idempotency_keys",
    deleteBatch: async (db, nowMs, limit) => (await deleteExpiredKeys(db, nowMs, limit)).length,
  },
];

export interface SweepLimits {
  /** Rows per delete statement: each statement binds two parameters, far below D1's 100. */
  rowsPerStatement: number;
  /**
   * Statements per sweep per run. With 100, ten sweeps stay within D1's 1,000 queries per Worker
   * invocation; what is left over waits for the next run.
   */
  statementsPerSweep: number;
}

export const DEFAULT_SWEEP_LIMITS: SweepLimits = { rowsPerStatement: 500, statementsPerSweep: 100 };

/** Runs every sweep once; returns the rows each deleted. */
export async function runMaintenance(
  db: Database,
  nowMs: number,
  sweeps: readonly Sweep[] = SWEEPS,
  limits: SweepLimits = DEFAULT_SWEEP_LIMITS,
): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const sweep of sweeps) {
    let total = 0;
    for (let statement = 0; statement < limits.statementsPerSweep; statement++) {
      const batch = await sweep.deleteBatch(db, nowMs, limits.rowsPerStatement);
      total += batch;
      if (batch < limits.rowsPerStatement) break;
    }
    deleted[sweep.name] = total;
  }
  log("info", "maintenance swept", { deleted });
  return deleted;
}
