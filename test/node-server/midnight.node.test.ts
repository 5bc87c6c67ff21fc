import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { registration } from "../node/cluster-process";
import { getFrom, postTo } from "../node/runtime-requests";

/*
 * Writes that straddle midnight UTC, with the as-of date unpinned (today's UTC date, as in
 * production): the clock is set by hand and a request's body is held back while it passes
 * midnight. The as-of date was read as the request arrived, before its body: a payment whose
 * body came after midnight was dated the day before, and refused BEFORE_LAST_PAYMENT (409,
 * documented as "the as-of date was moved back") when a payment that arrived after midnight was
 * recorded meanwhile; a booking's loan started, and its decision was evaluated, on the day before
 * the one its decided_at names. Both now read the date when they decide, after their read.
 */

let directory: string;
let runtime: Runtime;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "midnight-"));
  runtime = await openRuntime(
    settingsFromEnv({ DATABASE_URL: `file:${join(directory, "credit.db")}`, SEED: "false" }),
  );
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await runtime?.close();
  await rm(directory, { recursive: true, force: true });
});

/** Sets the wall clock (Date alone: timers and the database keep real time). */
function clockAt(iso: string): void {
  vi.useFakeTimers({ toFake: ["Date"], now: new Date(iso) });
}

/**
 * A JSON POST whose body is sent only once `release` is called; `bodyAsked` resolves when the
 * server starts reading it, by which time the request has passed every middleware.
 */
function heldPost(path: string, body: unknown) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let bodyAsked!: () => void;
  const asked = new Promise<void>((resolve) => {
    bodyAsked = resolve;
  });
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      bodyAsked();
      await released;
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const response = runtime.fetch(
    new Request(`http://127.0.0.1${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": String(bytes.length) },
      body: stream,
      duplex: "half",
    } as RequestInit),
  );
  return { response, asked, release };
}

async function customerWithLoan(): Promise<{ customerId: number; loanId: number }> {
  const registered = await postTo(runtime, "/register", registration(200_000));
  const { customer_id: customerId } = (await registered.json()) as { customer_id: number };
  const booked = await postTo(runtime, "/create-loan", {
    customer_id: customerId,
    loan_amount: 100_000,
    interest_rate: 14,
    tenure: 12,
  });
  expect(booked.status).toBe(201);
  const { loan_id: loanId } = (await booked.json()) as { loan_id: number };
  return { customerId, loanId };
}

describe("a write whose request passes midnight UTC", () => {
  it("dates a payment on the day it is decided, after a payment made after midnight", async () => {
    clockAt("2026-12-07T12:00:00Z");
    const { customerId, loanId } = await customerWithLoan();
    const path = `/make-payment/${customerId}/${loanId}`;

    clockAt("2026-12-07T23:59:59.900Z");
    const late = heldPost(path, { amount: 8978.71 });
    await late.asked;
    clockAt("2026-12-08T00:00:00.100Z");
    const first = await postTo(runtime, path, { amount: 8978.71 });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ paid_on: "2026-12-08", period: 1 });

    late.release();
    const second = await late.response;
    const body = (await second.json()) as Record<string, unknown>;
    expect({ status: second.status, code: body.code }).toEqual({ status: 201, code: undefined });
    expect(body).toMatchObject({ paid_on: "2026-12-08", period: 2 });
  });

  it("books a loan and records its decision on the date its decided_at names", async () => {
    clockAt("2026-12-07T12:00:00Z");
    const registered = await postTo(runtime, "/register", registration(200_000));
    const { customer_id: customerId } = (await registered.json()) as { customer_id: number };

    clockAt("2026-12-07T23:59:59.900Z");
    const held = heldPost("/create-loan", {
      customer_id: customerId,
      loan_amount: 100_000,
      interest_rate: 14,
      tenure: 12,
    });
    await held.asked;
    clockAt("2026-12-08T00:00:00.100Z");
    held.release();
    const booked = await held.response;
    expect(booked.status).toBe(201);
    const loan = (await booked.json()) as Record<string, unknown>;
    const record = (await (
      await getFrom(runtime, `/decisions/${String(loan.decision_id)}`)
    ).json()) as Record<string, unknown>;
    expect(String(record.decided_at).slice(0, 10)).toBe("2026-12-08");
    expect({
      start_date: loan.start_date,
      end_date: loan.end_date,
      as_of_date: record.as_of_date,
    }).toEqual({ start_date: "2026-12-08", end_date: "2027-12-08", as_of_date: "2026-12-08" });
  });
});
