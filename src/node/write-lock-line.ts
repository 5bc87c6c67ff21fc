import { monotonicNow } from "../lib/monotonic-clock";

/*
 * Waiting for the write lock. SQLite's busy handler sleeps on this thread, so a write that met
 * another process's long lock (a maintenance script, a backup) held the event loop for the whole
 * busy timeout: /healthz and reads timed out with it. So the connection's handler waits only a
 * short while (src/node/native-libsql.ts); a write still refused waits in this line, and a timer
 * asks for the lock again without waiting until the busy timeout has passed since the write
 * began, then fails with SQLITE_BUSY as before (503). Only what applied nothing is retried: a
 * failed BEGIN IMMEDIATE, or a write refused with SQLITE_BUSY whose connection was discarded
 * (rolling it back). Reads never wait in line: in WAL mode they take no lock.
 */

/** How often a write waiting in line asks for the lock again, without waiting (~50 µs a try). */
const LOCK_POLL_MS = 5;

/** A write waiting in line, with what it runs once it holds the lock. */
type Waiter = {
  deadline: number;
  work: () => unknown;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
};

export interface WriteLockLineOptions {
  /** How long a write may wait for the lock in all, as the busy timeout says. */
  busyTimeoutMs: number;
  /** BEGIN IMMEDIATE if the lock is free now; false (nothing begun) if it is not. */
  tryBegin: () => boolean;
  /** Runs a write's work on the connection (inside the transaction `tryBegin` began). */
  run: <T>(work: () => T) => T;
}

export class WriteLockLine {
  readonly #waiting: Waiter[] = [];
  #poll: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: WriteLockLineOptions) {}

  /** Writes of this connection waiting in line now (database_writes_waiting). */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `now`; if it meets the lock, `locked` runs later, inside a BEGIN IMMEDIATE it holds. */
  async write<T>(now: () => T, locked: () => T): Promise<T> {
    // Monotonic: a system clock set back while a write waited kept it waiting that much longer.
    const started = monotonicNow();
    const { busyTimeoutMs } = this.options;
    // While others of this process wait in line, a new write joins them rather than block.
    if (this.#waiting.length === 0) {
      try {
        return this.options.run(now);
      } catch (error) {
        if (!isBusy(error) || monotonicNow() - started >= busyTimeoutMs) throw error;
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({
        deadline: started + busyTimeoutMs,
        work: locked,
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      this.#poll ??= setTimeout(this.#takeTurns, LOCK_POLL_MS);
    });
  }

  /** Fails every write still in line: the connection is closing. */
  close(): void {
    if (this.#poll !== null) clearTimeout(this.#poll);
    this.#poll = null;
    for (const waiter of this.#waiting.splice(0)) {
      waiter.reject(connectionClosedError());
    }
  }

  /** Lets the writes in line take the lock in turn while it is free; the rest wait or time out. */
  readonly #takeTurns = () => {
    this.#poll = null;
    const waiting = this.#waiting;
    while (waiting.length > 0) {
      let begun: boolean;
      try {
        begun = this.options.tryBegin();
      } catch (error) {
        // Not the lock (the file is gone, an I/O error): the first in line fails with it.
        waiting.shift()?.reject(error);
        continue;
      }
      if (!begun) break;
      const next = waiting.shift() as Waiter;
      try {
        next.resolve(this.options.run(next.work));
      } catch (error) {
        next.reject(error);
      }
    }
    const now = monotonicNow();
    for (const waiter of waiting.filter((w) => w.deadline <= now)) {
      waiting.splice(waiting.indexOf(waiter), 1);
      waiter.reject(lockTimeout(this.options.busyTimeoutMs));
    }
    if (waiting.length > 0) this.#poll = setTimeout(this.#takeTurns, LOCK_POLL_MS);
  };
}

/** SQLITE_BUSY, or an extended code of it: the lock was not taken, nothing was applied. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/**
 * What a statement or a write in line fails with once the server has closed its database (it is
 * stopping): nothing was applied, so the request answers 503, as for a lock (src/db/errors.ts).
 */
export function connectionClosedError(): Error {
  return new Error("the database connection is closed");
}

/** What a write that waited in line for the whole busy timeout fails with: the engine's busy error. */
function lockTimeout(busyTimeoutMs: number): Error {
  return Object.assign(
    new Error(`database is locked (the write lock was not free for ${busyTimeoutMs} ms)`),
    { code: "SQLITE_BUSY" },
  );
}
