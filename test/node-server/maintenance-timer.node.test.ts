import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMaintenanceTimer } from "../../src/node/maintenance-timer";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";

/* The Node server's counterpart of the Cron Trigger, on a real libSQL file. */

let directory: string;
let runtime: Runtime | undefined;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "maintenance-timer-"));
});

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await rm(directory, { recursive: true, force: true });
});

async function open(maintenanceIntervalMs: number): Promise<Runtime> {
  runtime = await openRuntime(
    settingsFromEnv({ DATABASE_URL: `file:${join(directory, "test.db")}` }),
    { maintenanceIntervalMs },
  );
  return runtime;
}

async function insertKey(opened: Runtime, key: string, expiresAt: number): Promise<void> {
  await opened.client.execute({
    sql: "INSERT INTO idempotency_keys (key, request_hash, response_status, response_body, expires_at) VALUES (?, 'h', 200, '{}', ?)",
    args: [key, expiresAt],
  });
}

async function keys(opened: Runtime): Promise<string[]> {
  const result = await opened.client.execute("SELECT key FROM idempotency_keys ORDER BY key");
  return result.rows.map((row) => String(row.key));
}

describe("the Node server's maintenance timer", () => {
  it("sweeps expired Idempotency-Key records on its interval and keeps live ones", async () => {
    const opened = await open(20);
    await insertKey(opened, "expired", Date.now() - 1);
    await insertKey(opened, "live", Date.now() + 60_000);
    await expect.poll(() => keys(opened), { timeout: 5_000, interval: 20 }).toEqual(["live"]);
  });

  it("runs nothing once stopped", async () => {
    const opened = await open(60 * 60 * 1000);
    const timer = startMaintenanceTimer(opened.db, 10);
    await timer.stop();
    await insertKey(opened, "expired", Date.now() - 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await keys(opened)).toEqual(["expired"]);
  });
});
