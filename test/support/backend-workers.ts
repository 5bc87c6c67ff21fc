import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { d1Database } from "../../src/worker/d1";
import worker from "../../src/worker/index";
import { registerBackend } from "./backend";

// The `workers` project: the Worker's own fetch handler in workerd, on the test D1 binding.
registerBackend({
  name: "workers-d1",
  async fetch(request, overrides = {}) {
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, { ...env, ...overrides } as Cloudflare.Env, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  },
  separateClients: true,
  database: () => d1Database(env.DB),
  async query<T>(sql: string, params: unknown[] = []) {
    const { results } = await env.DB.prepare(sql)
      .bind(...params)
      .all<T>();
    return results;
  },
  async enqueue(body) {
    await env.INGEST_QUEUE.send(body as never);
  },
  recordSessionStarts() {
    const starts: unknown[] = [];
    // The real binding, every call passed through; only withSession's argument is noted.
    const binding = env.DB;
    const DB: D1Database = {
      prepare: (query) => binding.prepare(query),
      batch: (statements) => binding.batch(statements),
      exec: (query) => binding.exec(query),
      dump: () => binding.dump(),
      withSession: (start) => {
        starts.push(start);
        return binding.withSession(start);
      },
    };
    return { overrides: { DB }, starts };
  },
});
