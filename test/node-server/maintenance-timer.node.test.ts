import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config";
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

async function open(
  maintenanceIntervalMs: number,
  decisionRetentionMonths?: number,
): Promise<Runtime> {
  const retention =
    decisionRetentionMonths === undefined
      ? {}
      : { DECISION_RETENTION_MONTHS: String(decisionRetentionMonths) };
  runtime = await openRuntime(
    settingsFromEnv({ DATABASE_URL: `file:${join(directory, "test.db")}`, ...retention }),
    { maintenanceIntervalMs },
  );
  return runtime;
}

/** Months before now, as a decision record's created_at (a day's margin either side). */
function monthsAgo(months: number, dayOffset: number): string {
  const date = new Date();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() - months);
  date.setUTCDate(15 + dayOffset);
  return date.toISOString();
}

async function insertDecision(opened: Runtime, id: string, createdAt: string): Promise<void> {
  await opened.client.execute({
    sql: "INSERT OR IGNORE INTO customers (id, first_name, last_name, age, phone_number, monthly_salary_paise, approved_limit_paise) VALUES (1, 'A', 'B', 30, 9000000000, 100, 100)",
    args: [],
  });
  await opened.client.batch([
    {
      sql: "INSERT INTO decision_records (id, customer_id, created_at, as_of_date, model_version, approved, credit_score, interest_rate_bp, monthly_instalment_paise, message, request, inputs, inputs_digest, score_breakdown, reasons) VALUES (?, 1, ?, '2023-01-01', 'm', 0, 0, 0, 1, 'x', '{}', '', ?, '[]', '[]')",
      args: [id, createdAt, `inputs-of-${id}`],
    },
    {
      sql: "INSERT INTO decision_inputs (digest, inputs, records) VALUES (?, '{}', 1)",
      args: [`inputs-of-${id}`],
    },
  ]);
}

/** The records' ids, and the keys of the inputs still stored (deleted with their record). */
async function decisions(opened: Runtime): Promise<string[]> {
  const result = await opened.client.execute(
    "SELECT id FROM decision_records UNION ALL SELECT digest FROM decision_inputs ORDER BY 1",
  );
  return result.rows.map((row) => String(row[0]));
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

  it("deletes decision records past 25 months by default and keeps younger ones", async () => {
    const opened = await open(60 * 60 * 1000);
    // Inserted before the first tick: the timer's first run is one interval after the start.
    await insertDecision(opened, "a-expired", monthsAgo(26, 0));
    await insertDecision(opened, "b-kept", monthsAgo(24, 0));
    await runtime?.close();
    const reopened = await open(20);
    await expect
      .poll(() => decisions(reopened), { timeout: 5_000, interval: 20 })
      .toEqual(["b-kept", "inputs-of-b-kept"]);
  });

  it("follows the configured retention", async () => {
    const opened = await open(20, 3);
    await insertDecision(opened, "a-expired", monthsAgo(4, 0));
    await insertDecision(opened, "b-kept", monthsAgo(2, 0));
    await expect
      .poll(() => decisions(opened), { timeout: 5_000, interval: 20 })
      .toEqual(["b-kept", "inputs-of-b-kept"]);
  });

  it("reads DECISION_RETENTION_MONTHS from the environment: 25 unless set, a whole number", () => {
    expect(settingsFromEnv({}).app.decisionRetentionMonths).toBe(25);
    expect(settingsFromEnv({ DECISION_RETENTION_MONTHS: "84" }).app.decisionRetentionMonths).toBe(
      84,
    );
    for (const bad of ["0", "-1", "1.5", "many"]) {
      expect(() => settingsFromEnv({ DECISION_RETENTION_MONTHS: bad })).toThrow(ConfigError);
    }
  });

  it("reads INGEST_RETENTION_DAYS from the environment: 90 unless set, 15 to 36500 days", () => {
    expect(settingsFromEnv({}).app.ingestRetentionDays).toBe(90);
    expect(settingsFromEnv({ INGEST_RETENTION_DAYS: "400" }).app.ingestRetentionDays).toBe(400);
    for (const bad of ["0", "14", "1.5", "36501", "many"]) {
      expect(() => settingsFromEnv({ INGEST_RETENTION_DAYS: bad })).toThrow(ConfigError);
    }
  });

  it("deletes ingest jobs past INGEST_RETENTION_DAYS and keeps younger ones", async () => {
    runtime = await openRuntime(
      settingsFromEnv({
        DATABASE_URL: `file:${join(directory, "test.db")}`,
        INGEST_RETENTION_DAYS: "30",
      }),
      { maintenanceIntervalMs: 20 },
    );
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    for (const [job, at] of [
      ["a-expired", daysAgo(31)],
      ["b-kept", daysAgo(29)],
    ] as const) {
      await runtime.client.batch([
        {
          sql: "INSERT INTO ingest_chunks (job_id, seq, kind, rows, status, updated_at) VALUES (?, 0, 'loans', 1, 'landed', ?)",
          args: [job, at],
        },
        {
          sql: "INSERT INTO ingest_rejections (job_id, kind, row, seq, reason) VALUES (?, 'loans', 2, 0, 'r')",
          args: [job],
        },
      ]);
    }
    const opened = runtime;
    const jobs = async () =>
      (
        await opened.client.execute(
          "SELECT job_id FROM ingest_chunks UNION ALL SELECT job_id FROM ingest_rejections ORDER BY 1",
        )
      ).rows.map((row) => String(row[0]));
    await expect.poll(jobs, { timeout: 5_000, interval: 20 }).toEqual(["b-kept", "b-kept"]);
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
