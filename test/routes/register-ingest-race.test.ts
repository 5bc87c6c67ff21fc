import { describe, expect, it } from "vitest";
import type { IngestMessage } from "../../src/ingest/messages";
import { backend } from "../support/backend";
import { callJson, registration } from "../support/http";
import { chunk, customerRow, deliverOnce } from "../support/ingest";
import { interleavedBatches } from "../support/interleaved-batches";

/*
 * A customer chunk reads which of its ids and phone numbers are stored, plans, then writes. A
 * registration landing between the two takes the next free id, which a workbook's next customer
 * often is: the chunk's upsert by id wrote another person's name, age and income over the
 * registered customer (keeping the registered phone number), and a replay of that registration
 * described someone the record no longer was. Runs on D1, libSQL and, across processes, the
 * Node server.
 */

/** The chunk's first delivery with `body` registered between its read and its write. */
async function registerDuringLanding(message: IngestMessage, body: Record<string, unknown>) {
  const key = `ingest-race-${crypto.randomUUID()}`;
  const send = () => callJson("/register", { body, headers: { "Idempotency-Key": key } });
  let registered: Awaited<ReturnType<typeof send>> | undefined;
  const racing = interleavedBatches(backend().database(), {
    2: async () => {
      registered = await send();
    },
  });
  const outcomes = await deliverOnce(racing, message, 1);
  if (registered?.status !== 201) throw new Error(`register answered ${registered?.status}`);
  return { outcomes, registered, replay: send };
}

async function customer(id: number) {
  const [row] = await backend().query<Record<string, unknown>>(
    "SELECT first_name, last_name, phone_number FROM customers WHERE id = ?",
    [id],
  );
  return row;
}

async function jobReport(jobId: string) {
  const { body } = await callJson<{ customers: Record<string, number>; rejections: unknown[] }>(
    `/ingest/jobs/${jobId}`,
    { headers: { Authorization: "Bearer test-ingest-token" } },
  );
  return body;
}

async function nextCustomerId(): Promise<number> {
  const [top] = await backend().query<{ id: number | null }>("SELECT MAX(id) AS id FROM customers");
  return Number(top?.id ?? 0) + 1;
}

describe("a registration landing between a customer chunk's read and its write", () => {
  it("keeps the registered customer when it took the row's id; the next delivery rejects the row", async () => {
    const id = await nextCustomerId();
    const row = customerRow(id, { phone_number: 7_100_000_000 + id });
    const message = chunk(`race-id-${crypto.randomUUID()}`, 0, "customers", [row]);
    const body = registration({ first_name: "Registered", last_name: "Person" });

    const { outcomes, registered, replay } = await registerDuringLanding(message, body);

    expect(registered.body.customer_id).toBe(id);
    const mine = { first_name: "Registered", last_name: "Person", phone_number: body.phone_number };
    expect(await customer(id)).toEqual(mine);
    // The stale plan is refused by the database and the chunk retried.
    expect(outcomes).toEqual(["retry"]);
    expect(await deliverOnce(backend().database(), message, 2)).toEqual(["ack"]);
    expect(await customer(id)).toEqual(mine);
    expect((await replay()).body).toEqual(registered.body);
    const report = await jobReport(message.job_id);
    expect(report.customers).toMatchObject({ landed: 0, rejected: 1, retrying: 0 });
    expect(report.rejections).toEqual([
      expect.objectContaining({
        column: "customer_id",
        reason: `customer ${id} already exists with another phone number`,
      }),
    ]);
  });

  it("keeps the registered customer when it took the row's phone number (already so)", async () => {
    const id = (await nextCustomerId()) + 1_000;
    const row = customerRow(id, { phone_number: 7_200_000_000 + id });
    const message = chunk(`race-phone-${crypto.randomUUID()}`, 0, "customers", [row]);
    const body = registration({ first_name: "Registered", phone_number: row.phone_number });

    const { outcomes, registered } = await registerDuringLanding(message, body);

    const registeredId = registered.body.customer_id as number;
    expect(outcomes).toEqual(["retry"]);
    expect(await deliverOnce(backend().database(), message, 2)).toEqual(["ack"]);
    expect(await customer(registeredId)).toMatchObject({ first_name: "Registered" });
    expect(await customer(id)).toBeUndefined();
    expect((await jobReport(message.job_id)).rejections).toEqual([
      expect.objectContaining({
        column: "phone_number",
        reason: `phone number already belongs to customer ${registeredId}`,
      }),
    ]);
  });
});
