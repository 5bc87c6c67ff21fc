import type { Database } from "../../src/db/database";

/**
 * `db`, except that before its nth batch (counted from 1) it lets `before[n]` run to its end: a
 * concurrent request or write placed exactly between a use case's read and its write.
 */
export function interleavedBatches(
  db: Database,
  before: Record<number, () => Promise<unknown>>,
): Database {
  let batches = 0;
  return new Proxy(db, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== "batch") return typeof value === "function" ? value.bind(target) : value;
      return async (statements: Parameters<Database["batch"]>[0]) => {
        batches += 1;
        await before[batches]?.();
        return target.batch(statements);
      };
    },
  });
}
