import type { IngestMessage } from "./messages";

/*
 * The ingest queue as the app and the consumer see it: the few members of Cloudflare Queues they
 * use, so the same code runs on a real Queue (the Worker) or on the in-process queue of the Node
 * server (src/node/memory-queue.ts). Cloudflare's own types fit these shapes as they are.
 */

export interface IngestSendRequest {
  body: IngestMessage;
  contentType?: "json";
  delaySeconds?: number;
}

/** The producer side: the ingest endpoint enqueues one sendBatch per request. */
export interface IngestQueue {
  sendBatch(messages: Iterable<IngestSendRequest>): Promise<unknown>;
  /**
   * True when sendBatch also registers the chunks as queued, in the commit that stores them (the
   * Node server's durable queue): the ingest endpoint then writes nothing itself. Unset on a
   * Cloudflare Queue, where the endpoint registers them in D1 first.
   */
  readonly registersChunks?: boolean;
}

/** One delivered message: settled by `ack()` or `retry()`, as on Cloudflare Queues. */
export interface QueueMessage {
  readonly id: string;
  readonly body: unknown;
  /** 1 on first delivery, then one more per retry. */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** What a consumer invocation receives; a `queue` ending in `-dlq` carries dead letters. */
export interface QueueBatch {
  readonly queue: string;
  readonly messages: readonly QueueMessage[];
}

/**
 * wrangler.toml's two [[queues.consumers]] (a test holds them equal), for the Node server's
 * in-process queue and the consumer's budget test. The dead-letter one retries as long as the
 * platform allows (100), so an outage that keeps a chunk from being recorded dead outlasts it.
 */
export const QUEUE_SETTINGS = {
  ingest: { name: "credit-ingest", maxBatchSize: 10, maxBatchTimeoutMs: 0, maxRetries: 5 },
  deadLetters: {
    name: "credit-ingest-dlq",
    maxBatchSize: 10,
    maxBatchTimeoutMs: 1_000,
    maxRetries: 100,
  },
} as const;
