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
import { callJson, registerCustomer } from "../support/http";
import {
  insertJob,
  jobRows,
  type RetentionBackend,
  sweepsABigJobOverSeveralBatches,
  sweepsExpiredJobsAndKeepsTheRest,
  sweepsManySmallJobsInOneRun,
} from "../support/ingest-retention";

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

/**
 * Decision records of one new customer, decided at the given instants; returns their ids. Each
 * keeps its own inputs, as before migration 0009; or, given one key, all read the whole copy
 * stored under it, as between 0009 and parts; or, given a list of keys, all read those parts. The
 * stored inputs count their records as the API counts them.
 */
async function insertDecisions(createdAt: string[], reads?: string | string[]): Promise<string[]> {
  const customer = await env.DB.prepare(
    "INSERT INTO customers (first_name, last_name, age, phone_number, monthly_salary_paise, approved_limit_paise) VALUES ('A', 'B', 30, ?, 100, 100) RETURNING id",
  )
    .bind(7_000_000_000 + Math.floor(Math.random() * 999_999_999))
    .first<{ id: number }>();
  const record = env.DB.prepare(
    "INSERT INTO decision_records (id, customer_id, created_at, as_of_date, model_version, approved, credit_score, interest_rate_bp, monthly_instalment_paise, message, request, inputs, inputs_digest, score_breakdown, reasons) VALUES (?, ?, ?, '2023-01-01', 'm', 0, 0, 0, 1, 'x', '{}', ?, ?, '[]', '[]')",
  );
  const inputs = env.DB.prepare(
    "INSERT INTO decision_inputs (digest, inputs, records) VALUES (?, '[]', 1) ON CONFLICT DO UPDATE SET records = records + 1",
  );
  const ids = createdAt.map(() => crypto.randomUUID());
  const statementsOf = (id: string, at: string | undefined) => {
    if (reads === undefined) return [record.bind(id, customer?.id, at, "{}", null)];
    if (typeof reads === "string") {
      return [record.bind(id, customer?.id, at, "", reads), inputs.bind(reads)];
    }
    const own = JSON.stringify({ parts: reads, borrower: {} });
    return [
      record.bind(id, customer?.id, at, own, null),
      ...reads.map((part) => inputs.bind(part)),
    ];
  };
  await env.DB.batch(ids.flatMap((id, i) => statementsOf(id, createdAt[i])));
  return ids;
}

/** Which of these inputs' keys are still stored, each with how many records it counts. */
async function inputsLeft(digests: string[]): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT digest, records FROM decision_inputs WHERE digest IN (${digests.map(() => "?").join(",")})`,
  )
    .bind(...digests)
    .all<{ digest: string; records: number }>();
  return results.map((row) => `${row.digest} × ${row.records}`).sort();
}

/**
 * Of these inputs' keys, each whose stored copy does not count exactly the records that read it
 * (a copy missing while records read it, or kept with none), each with both numbers. A record
 * reads the parts its own inputs name, or the whole copy its `inputs_digest` names.
 */
async function inputsMiscounted(digests: string[]): Promise<string[]> {
  const rows = await Promise.all(
    digests.map(async (digest) => {
      const row = await env.DB.prepare(
        `SELECT (SELECT records FROM decision_inputs WHERE digest = ?1) AS counted,
           (SELECT COUNT(*) FROM decision_records WHERE inputs_digest = ?1)
             + (SELECT COUNT(*) FROM decision_records r, json_each(r.inputs, '$.parts') p
                WHERE r.inputs_digest IS NULL AND p.value = ?1) AS reading`,
      )
        .bind(digest)
        .first<{ counted: number | null; reading: number }>();
      const { counted = null, reading = 0 } = row ?? {};
      const exact = counted === null ? reading === 0 : counted === reading && counted > 0;
      return exact ? [] : [`${digest}: ${counted} counted, ${reading} reading`];
    }),
  );
  return rows.flat();
}

async function remaining(ids: string[]): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT id FROM decision_records WHERE id IN (${ids.map(() => "?").join(",")})`,
  )
    .bind(...ids)
    .all<{ id: string }>();
  return results.map((row) => row.id).sort();
}

async function runScheduled(scheduledTime: number, vars: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  await worker.scheduled(
    createScheduledController({ scheduledTime, cron: "17 * * * *" }),
    { ...env, ...vars } as Cloudflare.Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
}

describe("the decision records' retention", () => {
  const scheduledTime = Date.parse("2027-08-20T10:00:00.000Z");

  it("deletes records older than 25 months by default and keeps the rest", async () => {
    const [old, older, kept, recent] = await insertDecisions([
      "2025-07-20T09:59:59.999Z",
      "2024-01-01T00:00:00.000Z",
      "2025-07-20T10:00:00.000Z",
      "2027-08-01T00:00:00.000Z",
    ]);
    await runScheduled(scheduledTime);
    expect(await remaining([old, older, kept, recent] as string[])).toEqual([kept, recent].sort());
  });

  it("follows DECISION_RETENTION_MONTHS", async () => {
    const [old, kept] = await insertDecisions([
      "2027-05-19T00:00:00.000Z",
      "2027-05-21T00:00:00.000Z",
    ]);
    await runScheduled(scheduledTime, { DECISION_RETENTION_MONTHS: "3" });
    expect(await remaining([old, kept] as string[])).toEqual([kept]);
  });

  it("refuses a retention that is not a whole number of months, deleting nothing", async () => {
    const ids = await insertDecisions(["2020-01-01T00:00:00.000Z"]);
    await expect(runScheduled(scheduledTime, { DECISION_RETENTION_MONTHS: "0.5" })).rejects.toThrow(
      /DECISION_RETENTION_MONTHS/,
    );
    expect(await remaining(ids)).toEqual(ids);
  });

  it("deletes inputs with the last record that reads them, and no sooner", async () => {
    const shared = `shared-${crypto.randomUUID()}`;
    const [sharedOld, sharedOlder, sharedKept] = await insertDecisions(
      ["2024-01-01T00:00:00.000Z", "2023-01-01T00:00:00.000Z", "2027-08-01T00:00:00.000Z"],
      shared,
    );
    const [ownCopy] = await insertDecisions(["2024-01-01T00:00:00.000Z"]);
    const sharedGone = `shared-${crypto.randomUUID()}`;
    await insertDecisions(["2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z"], sharedGone);
    expect(await inputsLeft([shared, sharedGone])).toEqual(
      [`${shared} × 3`, `${sharedGone} × 2`].sort(),
    );

    await runScheduled(scheduledTime);
    const ids = [sharedOld, sharedOlder, sharedKept, ownCopy] as string[];
    expect(await remaining(ids)).toEqual([sharedKept]);
    expect(await inputsLeft([shared, sharedGone])).toEqual([`${shared} × 1`]);

    // Its last record gone, the shared copy goes too.
    await runScheduled(Date.parse("2030-01-01T00:00:00.000Z"));
    expect(await inputsLeft([shared])).toEqual([]);
  });

  it("counts records off each part they read, whichever form the records beside them have", async () => {
    const [a, b, c] = ["a", "b", "c"].map((name) => `part-${name}-${crypto.randomUUID()}`);
    const [oldAB] = await insertDecisions(["2024-01-01T00:00:00.000Z"], [a, b] as string[]);
    const [keptBC] = await insertDecisions(["2027-08-01T00:00:00.000Z"], [b, c] as string[]);
    const [oldB, olderB] = await insertDecisions(
      ["2024-03-01T00:00:00.000Z", "2023-03-01T00:00:00.000Z"],
      [b] as string[],
    );
    const [ownCopy] = await insertDecisions(["2024-01-01T00:00:00.000Z"]);
    const whole = `whole-${crypto.randomUUID()}`;
    const [wholeCopy] = await insertDecisions(["2024-01-01T00:00:00.000Z"], whole);
    expect(await inputsLeft([a, b, c, whole] as string[])).toEqual(
      [`${a} × 1`, `${b} × 4`, `${c} × 1`, `${whole} × 1`].sort(),
    );

    await runScheduled(scheduledTime);
    const ids = [oldAB, keptBC, oldB, olderB, ownCopy, wholeCopy] as string[];
    expect(await remaining(ids)).toEqual([keptBC]);
    expect(await inputsLeft([a, b, c, whole] as string[])).toEqual([`${b} × 1`, `${c} × 1`].sort());
  });

  it("sweeps a backlog in bounded statements", async () => {
    await env.DB.prepare("DELETE FROM decision_records").run();
    const ids = await insertDecisions(Array.from({ length: 30 }, () => "2020-02-02T00:00:00.000Z"));
    const limits = { rowsPerStatement: 10, statementsPerSweep: 2 };
    const db = d1Database(env.DB);
    const first = await runMaintenance(db, scheduledTime, { limits });
    expect(first.expired_decision_records).toBe(20);
    expect(await remaining(ids)).toHaveLength(10);
    await runMaintenance(db, scheduledTime, { limits });
    expect(await remaining(ids)).toEqual([]);
  });

  it("counts off exactly the records each batch deletes when a backlog shares one instant", async () => {
    // Records decided at one instant, older than every other record here, their copies in an
    // irregular order across the batches' edges: every statement of a batch must take the same
    // ones, or a copy would be counted off for a record kept (and go while it still reads it).
    const at = "1999-03-03T03:03:03.003Z";
    const [a, b] = [`tie-a-${crypto.randomUUID()}`, `tie-b-${crypto.randomUUID()}`];
    const order = [a, a, b, null, a, b, b, a, null, a, b];
    for (const digest of order) await insertDecisions([at], digest ?? undefined);
    // Two more that read `a`, decided after the cutoff: its copy must outlive the backlog.
    const kept = await insertDecisions(["2001-06-01T00:00:00.000Z"], a);
    await insertDecisions(["2001-06-01T00:00:00.000Z"], a);

    const db = d1Database(env.DB);
    const limits = { rowsPerStatement: 3, statementsPerSweep: 1 };
    const sweptAt = Date.parse("2002-01-01T00:00:00.000Z"); // cutoff 1999-12-01
    const deleted: number[] = [];
    for (let run = 0; run < 5; run++) {
      deleted.push((await runMaintenance(db, sweptAt, { limits })).expired_decision_records ?? -1);
      expect(await inputsMiscounted([a, b])).toEqual([]);
    }
    expect(deleted).toEqual([3, 3, 3, 2, 0]);
    expect(await inputsLeft([a, b])).toEqual([`${a} × 2`]);
    expect(await remaining(kept)).toEqual(kept);
  });

  it("keeps a record decided exactly the retention before a run on a month's last day", async () => {
    // 25 months before 31 March 2030 is 31 February 2028, which does not exist: the cutoff is
    // the month's last day, 29 February in a leap year, at the run's time of day.
    const [before, atCutoff, nextDay] = await insertDecisions([
      "2028-02-29T09:59:59.999Z",
      "2028-02-29T10:00:00.000Z",
      "2028-03-01T00:00:00.000Z",
    ]);
    await runScheduled(Date.parse("2030-03-31T10:00:00.000Z"));
    const ids = [before, atCutoff, nextDay] as string[];
    expect(await remaining(ids)).toEqual([atCutoff, nextDay].sort());
    // 30 April 2028 for 31 May 2030.
    const [mayBefore, mayKept] = await insertDecisions([
      "2028-04-30T09:59:59.999Z",
      "2028-04-30T10:00:00.000Z",
    ]);
    await runScheduled(Date.parse("2030-05-31T10:00:00.000Z"));
    expect(await remaining([mayBefore, mayKept] as string[])).toEqual([mayKept]);
  });
});

describe("the decision records' retention racing create-loan", () => {
  it("leaves every record its parts, and each part counting exactly its records", async () => {
    // One customer's create-loans (refusals reading one position, bookings changing it, keyed
    // replays and a key reused with another body), three at a time, each record made past
    // retention as soon as it is answered and swept one record a run while others are in flight.
    const { customer_id, approved_limit } = await registerCustomer({ monthly_income: 43_210 });
    const refusal = { customer_id, loan_amount: approved_limit * 2, interest_rate: 14, tenure: 12 };
    const booking = { customer_id, loan_amount: 10_000, interest_rate: 14, tenure: 600 };
    const digests = new Set<string>();
    const db = d1Database(env.DB);
    const limits = { rowsPerStatement: 1, statementsPerSweep: 1 };
    const send = async (i: number) => {
      const key = i % 3 === 0 ? { "Idempotency-Key": `race-${customer_id}-${i % 9}` } : undefined;
      const body = i % 4 === 0 ? booking : refusal;
      const answer = await callJson<{ decision_id?: string }>("/create-loan", {
        body: i === 9 ? { ...booking, tenure: 599 } : body,
        headers: key,
      });
      const row = await env.DB.prepare(
        "SELECT inputs, inputs_digest FROM decision_records WHERE id = ?",
      )
        .bind(answer.body.decision_id ?? "")
        .first<{ inputs: string; inputs_digest: string | null }>();
      if (row?.inputs_digest) digests.add(row.inputs_digest);
      for (const part of row ? (JSON.parse(row.inputs).parts ?? []) : []) digests.add(part);
      if (i % 2 === 0) {
        await env.DB.prepare(
          "UPDATE decision_records SET created_at = '1999-01-01T00:00:00.000Z' WHERE id = ?",
        )
          .bind(answer.body.decision_id ?? "")
          .run();
        await runMaintenance(db, Date.parse("2002-01-01T00:00:00.000Z"), { limits });
      }
      return answer.status;
    };
    // Three lanes of requests, each after the one before in its lane: positions change between.
    const lanes = [0, 1, 2].map(async (lane) => {
      const statuses: number[] = [];
      for (let i = lane; i < 30; i += 3) statuses.push(await send(i));
      return statuses;
    });
    const statuses = (await Promise.all(lanes)).flat();
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThan(0);
    expect(statuses).toContain(422); // the key reused with another body
    expect(digests.size).toBeGreaterThan(1);
    expect(await inputsMiscounted([...digests])).toEqual([]);

    // Every record swept at last: no copy outlives them.
    await runMaintenance(db, Date.parse("2002-01-01T00:00:00.000Z"));
    await env.DB.prepare(
      "UPDATE decision_records SET created_at = '1999-01-01T00:00:00.000Z' WHERE customer_id = ?",
    )
      .bind(customer_id)
      .run();
    await runMaintenance(db, Date.parse("2002-01-01T00:00:00.000Z"));
    expect(await inputsLeft([...digests])).toEqual([]);
  });
});

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

    const first = await runMaintenance(d1Database(database), nowMs, { limits });
    expect(first).toEqual({
      expired_idempotency_keys: 200,
      expired_decision_records: 0,
      expired_ingest_jobs: 0,
    });
    // Two for the keys, three for the decision records (none expired) and their inputs, four for
    // the ingest jobs (none expired): one per bookkeeping table.
    expect(counter.statements).toBe(9);
    expect(await countKeys("backlog")).toBe(50);

    const second = await runMaintenance(d1Database(database), nowMs, { limits });
    expect(second).toEqual({
      expired_idempotency_keys: 50,
      expired_decision_records: 0,
      expired_ingest_jobs: 0,
    });
    expect(await countKeys("backlog")).toBe(0);
  });
});

describe("the ingest jobs' retention", () => {
  const backend: RetentionBackend = {
    db: d1Database(env.DB),
    query: async (sql, args) =>
      (
        await env.DB.prepare(sql)
          .bind(...args)
          .all<Record<string, unknown>>()
      ).results,
    report: async (jobId) => {
      const { status, body } = await callJson<{ detail?: string }>(`/ingest/jobs/${jobId}`, {
        headers: { Authorization: "Bearer test-ingest-token" },
      });
      return status === 200 ? { status } : { status, detail: body.detail };
    },
  };

  it("deletes a job whose latest chunk activity is past the retention, with all its rows", () =>
    sweepsExpiredJobsAndKeepsTheRest(backend));

  it("sweeps a job bigger than one batch over several runs, its chunks last", () =>
    sweepsABigJobOverSeveralBatches(backend));

  it("sweeps many small jobs in one run, batches spanning jobs and tables", () =>
    sweepsManySmallJobsInOneRun(backend));

  it("the Cron Trigger follows INGEST_RETENTION_DAYS", async () => {
    const [old, kept] = [`cron-old-${crypto.randomUUID()}`, `cron-kept-${crypto.randomUUID()}`];
    await insertJob(backend, old, { chunks: ["2027-07-20T09:59:59.999Z"], rejections: 2 });
    await insertJob(backend, kept, { chunks: ["2027-07-20T10:00:00.000Z"], rejections: 2 });
    await runScheduled(Date.parse("2027-08-20T10:00:00.000Z"), { INGEST_RETENTION_DAYS: "31" });
    expect(await jobRows(backend, old)).toEqual({
      chunks: 0,
      rejections: 0,
      remaps: 0,
      deferred: 0,
    });
    expect(await jobRows(backend, kept)).toEqual({
      chunks: 1,
      rejections: 2,
      remaps: 0,
      deferred: 0,
    });
    await expect(
      runScheduled(Date.parse("2030-01-01T00:00:00.000Z"), { INGEST_RETENTION_DAYS: "14" }),
    ).rejects.toThrow(/INGEST_RETENTION_DAYS/);
    expect((await jobRows(backend, kept)).chunks).toBe(1);
  });
});
