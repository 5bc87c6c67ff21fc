import { env } from "cloudflare:test";

/**
 * The real D1 binding, except that its second batch — the write that follows a read — fails:
 * before committing (nothing written), or after (written, but the caller never hears so).
 */
export function failingWriteDb(mode: "before-commit" | "after-commit"): D1Database {
  let batches = 0;
  return new Proxy(env.DB, {
    get(target, property) {
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          batches++;
          if (batches === 1) return target.batch(statements);
          if (mode === "after-commit") await target.batch(statements);
          throw new Error("D1_ERROR: Network connection lost.");
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
