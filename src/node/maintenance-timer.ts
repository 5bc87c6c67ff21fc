import type { Database } from "../db/database";
import { DEFAULT_RETENTION, type RetentionSettings, runMaintenance } from "../db/maintenance";
import { log } from "../lib/log";

/** Hourly, as the Worker's Cron Trigger (wrangler.toml). */
const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;

export interface MaintenanceTimer {
  /** Clears the timer and waits for a run in progress, so the database can close after it. */
  stop(): Promise<void>;
}

/**
 * The Node server's counterpart of the Cron Trigger: runs the sweeps every `intervalMs`. The timer
 * is unref'd (it never keeps the process alive), runs never overlap, and a failed run is logged
 * and retried at the next tick.
 */
export function startMaintenanceTimer(
  db: Database,
  intervalMs = MAINTENANCE_INTERVAL_MS,
  retention: RetentionSettings = DEFAULT_RETENTION,
): MaintenanceTimer {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = runMaintenance(db, Date.now(), { retention })
      .then(
        () => undefined,
        (error: Error) => log("error", "maintenance failed", { error: error.name }),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
