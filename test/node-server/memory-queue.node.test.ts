import { afterEach, describe, expect, it } from "vitest";
import type { QueueBatch } from "../../src/ingest/queue";
import { MemoryQueue, type QueueConsumer } from "../../src/node/memory-queue";

/** A consumer that records what it was given and settles each message as `decide` says. */
function recorder(decide: (body: unknown, attempts: number) => "ack" | "retry" | "none") {
  const batches: { queue: string; bodies: unknown[]; attempts: number[] }[] = [];
  const consume: QueueConsumer = async (batch: QueueBatch) => {
    batches.push({
      queue: batch.queue,
      bodies: batch.messages.map((m) => m.body),
      attempts: batch.messages.map((m) => m.attempts),
    });
    for (const message of batch.messages) {
      const decision = decide(message.body, message.attempts);
      if (decision === "ack") message.ack();
      if (decision === "retry") message.retry({ delaySeconds: 0 });
    }
  };
  return { batches, consume };
}

const fast = { maxBatchSize: 3, maxBatchTimeoutMs: 20, maxRetries: 2 };
const open: MemoryQueue[] = [];
function queue(
  settings: Partial<typeof fast> & { name?: string; deadLetterQueue?: MemoryQueue },
  consume: QueueConsumer,
) {
  const created = new MemoryQueue({ name: "q", ...fast, ...settings }, consume);
  open.push(created);
  return created;
}

afterEach(async () => {
  for (const q of open.splice(0)) await q.close();
});

describe("the in-process queue", () => {
  it("delivers in batches of at most maxBatchSize, each message once when acked", async () => {
    const { batches, consume } = recorder(() => "ack");
    const q = queue({}, consume);
    await q.sendBatch([1, 2, 3, 4, 5].map((n) => ({ body: { n } as never })));
    expect(await q.drain(2_000)).toBe(true);
    expect(batches.map((b) => b.bodies.length)).toEqual([3, 2]);
    expect(batches.flatMap((b) => b.bodies)).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
  });

  it("hands the consumer a copy of each body, as a real queue serialises it", async () => {
    const { batches, consume } = recorder(() => "ack");
    const q = queue({}, consume);
    const body = { rows: [1] };
    await q.send(body);
    body.rows.push(2);
    await q.drain(2_000);
    expect(batches[0]?.bodies).toEqual([{ rows: [1] }]);
  });

  it("redelivers a retried message with attempts counted up", async () => {
    const { batches, consume } = recorder((_, attempts) => (attempts < 2 ? "retry" : "ack"));
    const q = queue({}, consume);
    await q.send("x");
    await q.drain(2_000);
    expect(batches.map((b) => b.attempts)).toEqual([[1], [2]]);
  });

  it("honours the retry delay", async () => {
    let firstAt = 0;
    let secondAt = 0;
    const q = queue({}, async (batch) => {
      for (const message of batch.messages) {
        if (message.attempts === 1) {
          firstAt = Date.now();
          message.retry({ delaySeconds: 0.3 });
        } else secondAt = Date.now();
      }
    });
    await q.send("x");
    await q.drain(3_000);
    expect(secondAt - firstAt).toBeGreaterThanOrEqual(290);
  });

  it("retries every message a throwing consumer did not ack, and keeps the acked ones", async () => {
    const seen: string[] = [];
    const q = queue({}, async (batch) => {
      for (const message of batch.messages) {
        seen.push(`${String(message.body)}@${message.attempts}`);
        if (message.body === "a") message.ack();
      }
      if (batch.messages.some((m) => m.attempts === 1)) throw new Error("boom");
    });
    await q.sendBatch([{ body: "a" as never }, { body: "b" as never }]);
    await q.drain(2_000);
    expect(seen).toEqual(["a@1", "b@1", "b@2"]);
  });

  it("moves a message to the dead-letter queue after maxRetries + 1 failed deliveries", async () => {
    const dead = recorder(() => "ack");
    const deadLetters = queue({ name: "q-dlq" }, dead.consume);
    const main = recorder(() => "retry");
    const q = queue({ deadLetterQueue: deadLetters }, main.consume);
    await q.send({ poison: true });
    await q.drain(2_000);
    await deadLetters.drain(2_000);
    expect(main.batches.map((b) => b.attempts[0])).toEqual([1, 2, 3]);
    expect(dead.batches).toEqual([{ queue: "q-dlq", bodies: [{ poison: true }], attempts: [1] }]);
  });

  it("drops a message that fails everywhere when there is no dead-letter queue", async () => {
    const main = recorder(() => "retry");
    const q = queue({}, main.consume);
    await q.send("x");
    expect(await q.drain(2_000)).toBe(true);
    expect(main.batches).toHaveLength(3);
  });

  it("drops what it still holds when closed, and refuses new messages", async () => {
    const q = queue({ maxBatchTimeoutMs: 10_000 }, recorder(() => "ack").consume);
    await q.send("later");
    expect(await q.close()).toBe(1);
    await expect(q.send("after")).rejects.toThrow(/closed/);
  });
});
