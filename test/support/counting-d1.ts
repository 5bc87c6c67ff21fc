/**
 * Wraps a D1 binding and counts the round trips that reach it: each `batch()` is one, and so is
 * each statement executed on its own (`all`, `run`, `first`, `raw`). `exec()` counts one too.
 */
export function countingD1(database: D1Database) {
  const counter = { roundTrips: 0 };

  function instrument(statement: D1PreparedStatement): D1PreparedStatement {
    const target = statement as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const method of ["all", "run", "first", "raw"]) {
      const original = target[method]?.bind(statement);
      if (!original) continue;
      target[method] = (...args: unknown[]) => {
        counter.roundTrips++;
        return original(...args);
      };
    }
    const bind = statement.bind.bind(statement);
    target.bind = (...values: unknown[]) => instrument(bind(...values));
    return statement;
  }

  const wrapped = {
    prepare: (query: string) => instrument(database.prepare(query)),
    batch: (statements: D1PreparedStatement[]) => {
      counter.roundTrips++;
      return database.batch(statements);
    },
    exec: (query: string) => {
      counter.roundTrips++;
      return database.exec(query);
    },
    dump: () => database.dump(),
    withSession: (...args: Parameters<D1Database["withSession"]>) => database.withSession(...args),
  } as unknown as D1Database;

  return { database: wrapped, counter };
}
