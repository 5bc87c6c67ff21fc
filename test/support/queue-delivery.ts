import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/worker/index";

// Workers only: drives the Worker's queue handler with createMessageBatch (consumer unit tests).

let messageCounter = 0;

/** Delivers messages to the Worker's queue handler, as the queue would, and returns ack/retry. */
export async function deliver(
  messages: unknown[],
  options: { queue?: string; attempts?: number; env?: Partial<Cloudflare.Env> } = {},
) {
  const batch = createMessageBatch(
    options.queue ?? "credit-ingest",
    messages.map((body) => ({
      id: `msg-${++messageCounter}`,
      timestamp: new Date(),
      attempts: options.attempts ?? 1,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...options.env }, ctx);
  return getQueueResult(batch, ctx);
}
