import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import worker from "../../src/worker/index";

// Workers only: drives the Worker's queue handler with createMessageBatch (consumer unit tests).

let messageCounter = 0;

/**
 * Delivers messages to the Worker's queue handler, as the queue would, and returns ack/retry,
 * with the delay each retry asked for (getQueueResult does not report it).
 */
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
  const retryDelays = new Map<string, number | undefined>();
  const recorded: Message[] = batch.messages.map((message) => ({
    id: message.id,
    timestamp: message.timestamp,
    body: message.body,
    attempts: message.attempts,
    ack: () => message.ack(),
    retry: (retryOptions?: QueueRetryOptions) => {
      retryDelays.set(message.id, retryOptions?.delaySeconds);
      message.retry(retryOptions);
    },
  }));
  const ctx = createExecutionContext();
  const delivered: MessageBatch = {
    queue: batch.queue,
    metadata: batch.metadata,
    messages: recorded,
    ackAll: () => batch.ackAll(),
    retryAll: (retryOptions) => batch.retryAll(retryOptions),
  };
  await worker.queue(delivered, { ...env, ...options.env }, ctx);
  return { ...(await getQueueResult(batch, ctx)), retryDelays };
}
