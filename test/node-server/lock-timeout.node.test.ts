import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import NativeDatabase from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { getFrom, postTo } from "../node/runtime-requests";

/*
 * The way the lost writes were found: another connection holds the write lock past the busy
 * timeout while create-loan (with and without an Idempotency-Key) and register run. Each answers
 * 503; once the lock is gone every later write must be committed — visible at once from a
 * separate connection — every endpoint must answer normally, and shutdown must keep it all.
 */

const BUSY_TIMEOUT_MS = 150;
let directory: string;
let path: string;
let runtime: Runtime;
/** A second connection: the lock holder, and the independent reader of what was committed. */
let other: InstanceType<typeof NativeDatabase>;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "lock-timeout-"));
  path = join(directory, "credit.db");
  runtime = await openRuntime(settingsAt(path), { busyTimeoutMs: BUSY_TIMEOUT_MS });
  other = new NativeDatabase(path, { timeout: BUSY_TIMEOUT_MS });
});
afterAll(async () => {
  if (other.inTransaction) other.exec("ROLLBACK");
  other.close();
  await runtime.close();
  await rm(directory, { recursive: true, force: true });
});

const settingsAt = (file: string) =>
  settingsFromEnv({ DATABASE_URL: `file:${file}`, AS_OF_DATE: "2025-06-15" });

const loanRequest = (customerId: number) => ({
  customer_id: customerId,
  loan_amount: 1_000,
  interest_rate: 12,
  tenure: 12,
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  postTo(runtime, path, body, headers);
const get = (path: string) => getFrom(runtime, path);

/** What another connection sees committed. */
function committed(table: "customers" | "loans", id: number): boolean {
  return other.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).all([id]).length === 1;
}

async function whileLocked(request: () => Promise<Response>): Promise<Response> {
  other.exec("BEGIN IMMEDIATE");
  try {
    return await request();
  } finally {
    other.exec("COMMIT");
  }
}

async function registerCustomer(): Promise<number> {
  const response = await post("/register", registration(50_000));
  expect(response.status).toBe(201);
  return ((await response.json()) as { customer_id: number }).customer_id;
}

describe("a write lock held past the busy timeout", () => {
  it("answers 503 while it lasts, then commits every acknowledged write", async () => {
    const customerId = await registerCustomer();

    const refusedWrites = [
      () => post("/create-loan", loanRequest(customerId), { "Idempotency-Key": "lock-k1" }),
      () => post("/create-loan", loanRequest(customerId)),
      () => post("/register", registration(50_000)),
    ];
    for (const write of refusedWrites) {
      const response = await whileLocked(write);
      expect(response.status).toBe(503);
      expect(response.headers.get("Content-Type")).toContain("application/problem+json");

      // After each failure: a register and a booking, both committed as soon as they answer.
      const registered = await registerCustomer();
      expect(committed("customers", registered)).toBe(true);
      const booked = await post("/create-loan", loanRequest(customerId));
      expect(booked.status).toBe(201);
      const loanId = ((await booked.json()) as { loan_id: number }).loan_id;
      expect(committed("loans", loanId)).toBe(true);
    }

    // The key that met the lock was not burnt: its first real attempt books.
    const keyed = await post("/create-loan", loanRequest(customerId), {
      "Idempotency-Key": "lock-k1",
    });
    expect(keyed.status).toBe(201);
    const keyedLoan = ((await keyed.json()) as { loan_id: number }).loan_id;
    expect(committed("loans", keyedLoan)).toBe(true);

    const eligibility = await post("/check-eligibility", loanRequest(customerId));
    expect(eligibility.status).toBe(200);
    expect((await get(`/view-loan/${keyedLoan}`)).status).toBe(200);
    const loans = await get(`/view-loans/${customerId}`);
    expect(loans.status).toBe(200);
    expect(((await loans.json()) as unknown[]).length).toBe(4);
  });

  it("answers a write it refused as busy whatever its values say: a name in SQLite's words for damage, or for a full disk", async () => {
    // drizzle's error for a lone statement repeats the statement's values ("Failed query: …
    // params: …"): read as the database's own words, a name was taken for the damage it names, and
    // the request answered "restore from a backup" with no Retry-After.
    for (const name of ["SQLITE_CORRUPT", "file is not a database", "database or disk is full"]) {
      const response = await whileLocked(() =>
        post("/register", { ...registration(50_000), first_name: name }),
      );
      expect(response.status, name).toBe(503);
      expect(response.headers.get("Retry-After"), name).toBe("1");
      const { detail } = (await response.json()) as { detail: string };
      expect(detail, name).not.toMatch(/damaged|storage space/);
    }
  });

  it("keeps every acknowledged write through a lock timeout and a shutdown", async () => {
    const before = await registerCustomer();
    expect((await whileLocked(() => post("/register", registration(50_000)))).status).toBe(503);
    const after = await registerCustomer();

    await runtime.close();
    runtime = await openRuntime(settingsAt(path));
    for (const id of [before, after]) {
      expect((await get(`/view-loans/${id}`)).status).toBe(200);
      expect(committed("customers", id)).toBe(true);
    }
  });
});
