import { Worker } from "node:worker_threads";
import { log } from "../lib/log";
import { monotonicNow } from "../lib/monotonic-clock";
import { type DatabaseSynchronous, synchronousPragma } from "./native-libsql";

/*
 * Folds the WAL into the database file from a thread of its own, so that no request pays for it.
 * Left to SQLite, the commit that takes the WAL past its threshold runs the checkpoint itself:
 * it copies the pages and syncs both files inside that request, which waits meanwhile, and with
 * it every request queued behind it on the event loop. On this project's 2-core machine that was
 * most of a write's p99 with one process (docs/performance.md, round 6).
 */

/** How often the thread checkpoints: often enough that the WAL stays a few MB under load. */
const WAL_CHECKPOINT_INTERVAL_MS = 100;

/**
 * How long the thread may find another connection checkpointing, tick after tick, before it says
 * so: a checkpoint takes milliseconds, so a lock held this long is a stuck or stopped process, and
 * the WAL grows meanwhile.
 */
const DEFERRED_WARNING_MS = 30_000;

/** How long `stop` waits for the thread to finish its checkpoint and close its connection. */
const STOP_TIMEOUT_MS = 5_000;

export interface CheckpointProgress {
  /** Another connection's read held some frames back; they are copied next time. */
  busy: number;
  walFrames: number;
  copiedFrames: number;
}

type ThreadMessage =
  | ({ kind: "checkpointed" } & CheckpointProgress)
  /** Another connection was checkpointing: nothing done, nothing wrong. */
  | { kind: "deferred" }
  | { kind: "failed"; error: string };

export interface WalCheckpointer {
  /**
   * Stops the thread once its current checkpoint is done; resolves when it has exited, with
   * "terminated" if it had to be ended after STOP_TIMEOUT_MS.
   */
  stop: () => Promise<"stopped" | "terminated">;
}

/**
 * Starts the thread over the database file at `path`. A tick that finds another connection
 * checkpointing leaves it to that one; a checkpoint that fails (an I/O error, a file that is not a
 * WAL database yet) is logged and tried again at the next tick; should the thread itself stop,
 * the app's connections still checkpoint on their own past a larger threshold
 * (native-libsql.ts), so the WAL stays bounded either way.
 */
export function startWalCheckpointer(
  path: string,
  options: {
    intervalMs?: number;
    /** The app's connections' DATABASE_SYNCHRONOUS (default `full`), which its checkpoints sync by. */
    synchronous?: DatabaseSynchronous;
    onCheckpoint?: (progress: CheckpointProgress) => void;
    /** A tick that found another connection checkpointing, and left the WAL to it. */
    onDeferred?: () => void;
    /** After how long of nothing but such ticks a warning is logged (tests shorten it). */
    deferredWarningMs?: number;
  } = {},
): WalCheckpointer {
  const worker = new Worker(new URL("./wal-checkpoint-thread.mjs", import.meta.url), {
    workerData: {
      path,
      intervalMs: options.intervalMs ?? WAL_CHECKPOINT_INTERVAL_MS,
      synchronousPragma: synchronousPragma(options.synchronous ?? "full"),
    },
  });
  // The thread never keeps the process alive; the runtime stops it before closing the database.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  // A failing checkpoint is logged once, and again only after one has succeeded in between; so is
  // a checkpoint lock that another connection keeps for longer than DEFERRED_WARNING_MS.
  let failing = false;
  let deferredSince: number | null = null;
  let deferredTooLong = false;
  const deferredWarningMs = options.deferredWarningMs ?? DEFERRED_WARNING_MS;
  worker.on("message", (message: ThreadMessage) => {
    if (message.kind === "checkpointed") {
      failing = false;
      deferredSince = null;
      deferredTooLong = false;
      options.onCheckpoint?.(message);
    } else if (message.kind === "deferred") {
      const now = monotonicNow();
      deferredSince ??= now;
      if (!deferredTooLong && now - deferredSince >= deferredWarningMs) {
        deferredTooLong = true;
        log("warn", "another connection has held the WAL checkpoint lock for a long time", {
          seconds: Math.round((now - deferredSince) / 1000),
        });
      }
      options.onDeferred?.();
    } else if (!failing) {
      failing = true;
      log("warn", "a WAL checkpoint failed; the thread tries again", { error: message.error });
    }
  });
  worker.on("error", (error) => {
    log("warn", "the WAL checkpointer stopped; the connections checkpoint on their own", {
      error: error.name,
    });
  });
  let stopping: Promise<"stopped" | "terminated"> | null = null;
  return {
    stop: () => {
      stopping ??= (async () => {
        worker.postMessage("stop");
        let terminated = false;
        // Also what keeps the process alive until the (unref'd) thread has exited.
        const timer = setTimeout(() => {
          terminated = true;
          void worker.terminate();
        }, STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
        if (terminated) log("warn", "the WAL checkpointer did not stop in time; ended it");
        return terminated ? "terminated" : "stopped";
      })();
      return stopping;
    },
  };
}
