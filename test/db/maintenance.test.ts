import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runMaintenance } from "../../src/db/maintenance";
import { countingD1 } from "../../src/worker/counting-d1";
import { d1Database } from "../../src/worker/d1";
import worker from "../../src/worker/index";

/* The scheduled sweep on real D1, driven through the Worker's own `scheduled` handler. */

async function insertKeys(prefix: string, count: number, expiresAt: number): Promise<void> {
  const statement = env.DB.prepare(
    "INSERT INTO idempotency_keys (key, request_hash, response_status, response_body, expires_at) VALUES (?, 'h', 200, '{}', ?)",
  );
  await env.DB.batch(
    Array.from({ length: count }, (_, i) => statement.bind(`${prefix}-${i}`, expiresAt - i)),
  );
}

async function countKeys(prefix: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE key LIKE ?")
    .bind(`${prefix}-%`)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

async function clearKeys(): Promise<void> {
  await env.DB.prepare("DELETE FROM idempotency_keys").run();
}

describe("scheduled maintenance", () => {
  it("the Cron Trigger deletes every expired Idempotency-Key and keeps the live ones", async () => {
    await clearKeys();
    const scheduledTime = Date.now();
    await insertKeys("expired", 1_200, scheduledTime - 1);
    await insertKeys("live", 5, scheduledTime + 60_000);

    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime, cron: "17 * * * *" }),
      env as Cloudflare.Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);

    expect(await countKeys("expired")).toBe(0);
    expect(await countKeys("live")).toBe(5);
  });

  it("sweeps in bounded statements and leaves the rest for the next run", async () => {
    await clearKeys();
    const nowMs = Date.now();
    await insertKeys("backlog", 250, nowMs - 1);
    const { database, counter } = countingD1(env.DB);
    const limits = { rowsPerStatement: 100, statementsPerSweep: 2 };

    const first = await runMaintenance(d1Database(database), nowMs, undefined, limits);
    expect(first).toEqual({ expired_idempotency_keys: 200 });
    expect(counter.statements).toBe(2);
    expect(await countKeys("backlog")).toBe(50);

    const second = await runMaintenance(d1Database(database), nowMs, undefined, limits);
    expect(second).toEqual({ expired_idempotency_keys: 50 });
    expect(await countKeys("backlog")).toBe(0);
  });
});
