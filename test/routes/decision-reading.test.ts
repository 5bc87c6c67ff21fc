import { describe, expect, it } from "vitest";
import { type DecisionRow, decisionInputs, decisionRecords } from "../../src/db/schema";
import { sha256Hex } from "../../src/lib/sha256";
import { toDecisionResponse } from "../../src/routes/decisions/decision-record";
import { backend } from "../support/backend";
import { plainDecisionRows, toDecisionRecord } from "../support/decisions";
import { call } from "../support/http";
import { registerBorrowerWithLoan } from "../support/seed";

/*
 * The decision endpoints read each record packed by SQLite (src/db/decisions.ts). On every backend
 * (D1, and the Node server's own libSQL connection) the bytes a client gets must be those the
 * plain reading gives (a select, each JSON column parsed apart): same fields, same key order, same
 * numbers and text, for records of older models and in every stored form too. Its own file: the record from an older model
 * is not one the replay in decisions.test.ts could replay under today's model.
 */

/** What the plain reading answers for a record: the reference bytes. */
const referenceBody = (row: DecisionRow) =>
  JSON.stringify(toDecisionResponse(toDecisionRecord(row)));

/**
 * A record as a model before 2026-12.1 wrote it (its loans without `periodsSettled` and
 * `closedOn`), its JSON stored with whitespace, and a message outside ASCII. Made before
 * migration 0009, it keeps its own inputs and has no key to shared ones.
 */
async function insertOlderModelRecord(like: DecisionRow) {
  const inputs = JSON.parse(like.inputs) as { loans: Record<string, unknown>[] };
  for (const loan of inputs.loans) {
    delete loan.periodsSettled;
    delete loan.closedOn;
  }
  const { seq: _seq, ...columns } = like;
  await backend()
    .database()
    .insert(decisionRecords)
    .values({
      ...columns,
      id: crypto.randomUUID(),
      modelVersion: "2026-11.4",
      idempotencyKey: null,
      message: 'Refusé — ₹ 1,00,000 "over" the limit\u2028',
      inputs: JSON.stringify(inputs, null, 2),
      inputsDigest: null,
    });
}

/**
 * A record as releases between migration 0009 and parts wrote it: its own inputs empty, its whole
 * inputs in one stored copy under `inputs_digest`.
 */
async function insertWholeCopyRecord(like: DecisionRow) {
  const { seq: _seq, ...columns } = like;
  const digest = await sha256Hex(like.inputs);
  const db = backend().database();
  await db.insert(decisionInputs).values({ digest, inputs: like.inputs, records: 1 });
  await db.insert(decisionRecords).values({
    ...columns,
    id: crypto.randomUUID(),
    idempotencyKey: null,
    inputs: "",
    inputsDigest: digest,
  });
}

describe("reading decision records", () => {
  it("answers each record and each page byte for byte as the plain reading does", async () => {
    const { customer_id, approved_limit } = await registerBorrowerWithLoan(61_234.56);
    const request = { customer_id, loan_amount: 10_000.55, interest_rate: 14.25, tenure: 12 };
    const creates: { body: Record<string, unknown>; headers: Record<string, string> }[] = [
      { body: request, headers: { "Idempotency-Key": `a"b\\c<'${customer_id}>` } },
      { body: { ...request, loan_amount: approved_limit * 2 }, headers: {} },
      { body: { ...request, loan_amount: 5_000.05, tenure: 7, interest_rate: 8 }, headers: {} },
    ];
    for (const { body, headers } of creates) {
      expect([200, 201]).toContain((await call("/create-loan", { body, headers })).status);
    }
    const [newest] = await plainDecisionRows(customer_id);
    if (!newest) throw new Error("no decision stored");
    await insertOlderModelRecord(newest);
    await insertWholeCopyRecord(newest);

    const rows = await plainDecisionRows(customer_id);
    expect(rows).toHaveLength(5);
    expect(rows[1]?.modelVersion).toBe("2026-11.4");
    expect(rows[0]?.inputs).toBe(newest.inputs);
    const expected = rows.map(referenceBody);

    for (const [index, row] of rows.entries()) {
      const response = await call(`/decisions/${row.id}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(expected[index]);
    }

    const page = (decisions: string[], nextCursor: string | null) =>
      `{"decisions":[${decisions.join(",")}],"next_cursor":${JSON.stringify(nextCursor)}}`;
    // Exactly the page size, then one more than the history holds: no next page either way.
    for (const limit of [5, 6, 100]) {
      const response = await call(`/customers/${customer_id}/decisions?limit=${limit}`);
      expect(await response.text()).toBe(page(expected, null));
    }
    // One record a page, following the cursors to the last page.
    let path = `/customers/${customer_id}/decisions?limit=1`;
    for (const [index, body] of expected.entries()) {
      const response = await call(path);
      expect(response.status).toBe(200);
      const text = await response.text();
      const cursor = (JSON.parse(text) as { next_cursor: string | null }).next_cursor;
      expect(cursor === null).toBe(index === expected.length - 1);
      expect(text).toBe(page([body], cursor));
      path = `/customers/${customer_id}/decisions?limit=1&cursor=${cursor}`;
    }
  });
});
