import { monotonicNow } from "../lib/monotonic-clock";

/**
 * What a counted D1 binding has seen: the round trips that reached it, and the wall time during
 * which at least one of them was in flight (overlapping calls count once).
 */
export interface D1Counter {
  roundTrips: number;
  /** Statements executed: one per standalone call, one per statement of a batch. */
  statements: number;
  waitedMs: number;
}

/** The statement methods that each send one query to D1. */
const EXECUTING = ["all", "run", "first", "raw"] as const;

/**
 * Wraps a D1 binding and counts the round trips that reach it: each `batch()` is one, and so is
 * each statement executed on its own (`all`, `run`, `first`, `raw`); `exec()` counts one too.
 * Sessions opened with `withSession()` are counted the same way, into the same counter.
 *
 * Statements stay D1's own objects (their methods are replaced in place), so `batch()` receives
 * exactly what the binding handed out.
 */
export function countingD1(binding: D1Database): { database: D1Database; counter: D1Counter } {
  const counter: D1Counter = { roundTrips: 0, statements: 0, waitedMs: 0 };
  let inFlight = 0;
  let since = 0;

  async function counted<T>(call: () => Promise<T>, statements = 1): Promise<T> {
    counter.roundTrips += 1;
    counter.statements += statements;
    if (inFlight === 0) since = monotonicNow();
    inFlight += 1;
    try {
      return await call();
    } finally {
      inFlight -= 1;
      if (inFlight === 0) counter.waitedMs += monotonicNow() - since;
    }
  }

  function instrument(statement: D1PreparedStatement): D1PreparedStatement {
    for (const method of EXECUTING) {
      const original = statement[method] as (...args: unknown[]) => Promise<unknown>;
      replace(statement, method, (...args: unknown[]) =>
        counted(() => original.apply(statement, args)),
      );
    }
    const bind = statement.bind;
    replace(statement, "bind", (...values: unknown[]) => instrument(bind.apply(statement, values)));
    return statement;
  }

  const database: D1Database = {
    prepare: (query) => instrument(binding.prepare(query)),
    batch: <T>(statements: D1PreparedStatement[]) =>
      counted(() => binding.batch<T>(statements), statements.length),
    exec: (query) => counted(() => binding.exec(query)),
    withSession: (constraintOrBookmark) => {
      const session = binding.withSession(constraintOrBookmark);
      return {
        prepare: (query) => instrument(session.prepare(query)),
        batch: <T>(statements: D1PreparedStatement[]) =>
          counted(() => session.batch<T>(statements), statements.length),
        getBookmark: () => session.getBookmark(),
      };
    },
    dump: () => binding.dump(),
  };
  return { database, counter };
}

function replace(target: object, key: string, value: (...args: unknown[]) => unknown): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true });
}
