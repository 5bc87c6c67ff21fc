import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { Chunker } from "../../scripts/lib/chunker";
import {
  byteLength,
  IngestBatchSchema,
  type IngestMessage,
  QUEUE_LIMITS,
  ROWS_PER_CHUNK,
} from "../../src/ingest/messages";
import type { CustomerRow } from "../../src/ingest/rows";

function customer(id: number, nameLength = 10): CustomerRow {
  return {
    row: id + 1,
    customer_id: id,
    first_name: "N".repeat(nameLength),
    last_name: "L",
    age: 30,
    phone_number: 9_000_000_000 + id,
    monthly_salary: 1000,
    approved_limit: 36_000,
  };
}

function cut(rows: CustomerRow[]): IngestMessage[][] {
  const chunker = new Chunker("job", "customers");
  const sends: IngestMessage[][] = [];
  for (const row of rows) {
    const ready = chunker.add(row);
    if (ready) sends.push(ready);
  }
  sends.push(...chunker.flush());
  return sends;
}

describe("chunker", () => {
  it("keeps every row once, in order, with consecutive sequence numbers", () => {
    const rows = Array.from({ length: 2_345 }, (_, i) => customer(i + 1));
    const sends = cut(rows);
    const messages = sends.flat();
    expect(messages.flatMap((m): unknown[] => m.rows)).toEqual(rows);
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i));
    for (const message of messages) expect(message.rows.length).toBeLessThanOrEqual(ROWS_PER_CHUNK);
  });

  it("stays within the queue's message and send limits even for wide rows", () => {
    const rows = Array.from({ length: 3_000 }, (_, i) => customer(i + 1, 100));
    for (const send of cut(rows)) {
      expect(send.length).toBeLessThanOrEqual(QUEUE_LIMITS.maxMessagesPerSend);
      expect(byteLength(send)).toBeLessThanOrEqual(QUEUE_LIMITS.maxSendBytes);
      for (const message of send)
        expect(byteLength(message)).toBeLessThanOrEqual(QUEUE_LIMITS.maxMessageBytes);
      expect(v.safeParse(IngestBatchSchema, { messages: send }).success).toBe(true);
    }
  });

  it("sends nothing for no rows", () => {
    expect(cut([])).toEqual([]);
  });
});
