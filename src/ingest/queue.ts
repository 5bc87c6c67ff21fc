import type { IngestMessage } from "./messages";
import type { Statement } from "./store";

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
  /**
   * The Node server's durable queue only (absent on a Cloudflare Queue): what takes this message
   * out of the queue's store, for the consumer to commit with the writes that land it. One synced
   * commit then lands and settles it, and the queue's own settle of the ack changes nothing.
   * The statements run on the consumer's database, so the store must be in that same database
   * (src/node/runtime.ts gives both the one `db`).
   */
  readonly removal?: () => Statement[];
}

/** What a consumer invocation receives; a `queue` ending in `-dlq` carries dead letters. */
export interface QueueBatch {
  readonly queue: string;
  readonly messages: readonly QueueMessage[];
}

/**
 * What marks a dead-letter queue: a batch from a queue whose name ends so carries dead letters,
 * which the consumer records dead (src/ingest/consumer.ts). wrangler.toml's ingest consumer names
 * its `dead_letter_queue` so, and the same Worker consumes it.
 */
export const DEAD_LETTER_SUFFIX = "-dlq";

/** Cloudflare Queues' own limits (developers.cloudflare.com/queues/platform/limits). */
export const QUEUE_PLATFORM_LIMITS = {
  maxRetries: 100,
  maxBatchSize: 100,
  maxBatchTimeoutSeconds: 60,
  /** The longest `delaySeconds` a retry may ask for: 24 hours. */
  maxDelaySeconds: 24 * 60 * 60,
  /** The longest a queue keeps a message (`--message-retention-period-secs`): 14 days. */
  maxMessageRetentionSeconds: 14 * 24 * 60 * 60,
} as const;

/**
 * The queue settings the code relies on, in one place: wrangler.toml's two [[queues.consumers]]
 * (in every environment) must say the same, which test/build/queue-settings.node.test.ts checks,
 * and the Node server's in-process queue takes them as they are. `retryDelaySeconds` bounds the
 * consumer's own backoff (it sets every retry's delay). The ingest queue's retries are at most 5
 * minutes apart: the operator's script is waiting. The dead-letter queue retries as long as the
 * platform allows (100), at least a second apart (so a base of 0, in tests and `npm start`, cannot
 * spend them at once) and at most 30 minutes, so an outage that keeps a chunk from being recorded
 * dead can last about two days; its `messageRetentionSeconds` (4 days, in the README's deploy
 * steps) outlasts them.
 */
export const QUEUE_SETTINGS = {
  ingest: {
    name: "credit-ingest",
    maxBatchSize: 10,
    maxBatchTimeoutMs: 0,
    maxRetries: 5,
    retryDelaySeconds: { minSeconds: 0, maxSeconds: 300 },
  },
  deadLetters: {
    name: `credit-ingest${DEAD_LETTER_SUFFIX}`,
    maxBatchSize: 10,
    maxBatchTimeoutMs: 1_000,
    maxRetries: QUEUE_PLATFORM_LIMITS.maxRetries,
    retryDelaySeconds: { minSeconds: 1, maxSeconds: 1_800 },
    messageRetentionSeconds: 4 * 24 * 60 * 60,
  },
} as const;
