import type { IngestQueue, IngestSendRequest, QueueBatch, QueueMessage } from "../ingest/queue";
import { log } from "../lib/log";

/*
 * An in-process queue with the delivery rules of Cloudflare Queues, so the Node server runs the
 * Worker's consumer unchanged: batches of up to `maxBatchSize`, delivered when full or
 * `maxBatchTimeoutMs` after the first message is ready; per-message `ack()` / `retry()` with a
 * delay; a handler that throws retries every message it did not ack; after `maxRetries + 1`
 * failed deliveries a message moves to the dead-letter queue (or is dropped, and logged, when
 * there is none). One batch is consumed at a time. Messages live in memory: a restart loses what
 * was still queued, which the ingest job's report shows as chunks that never landed.
 */

export interface MemoryQueueSettings {
  name: string;
  maxBatchSize: number;
  maxBatchTimeoutMs: number;
  maxRetries: number;
  deadLetterQueue?: MemoryQueue;
}

export type QueueConsumer = (batch: QueueBatch) => Promise<void>;

interface Entry {
  id: string;
  body: unknown;
  /** Deliveries so far, this one included once it is delivered. */
  attempts: number;
}

type Settlement = { retry: false } | { retry: true; delaySeconds: number | undefined };

export class MemoryQueue implements IngestQueue {
  readonly #settings: MemoryQueueSettings;
  readonly #consume: QueueConsumer;
  #ready: Entry[] = [];
  /** Messages waiting out a send or retry delay. */
  readonly #delayed = new Set<ReturnType<typeof setTimeout>>();
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #flushing: Promise<void> | null = null;
  #closed = false;
  #sequence = 0;

  constructor(settings: MemoryQueueSettings, consume: QueueConsumer) {
    this.#settings = settings;
    this.#consume = consume;
  }

  get name(): string {
    return this.#settings.name;
  }

  async send(body: unknown, options: { delaySeconds?: number } = {}): Promise<void> {
    this.#enqueue({ id: this.#nextId(), body: copy(body), attempts: 1 }, options.delaySeconds);
  }

  async sendBatch(messages: Iterable<IngestSendRequest>): Promise<void> {
    for (const message of messages) await this.send(message.body, message);
  }

  /** Messages waiting: ready for the next batch, or delayed for a retry (the metrics' depth). */
  get depth(): number {
    return this.#ready.length + this.#delayed.size;
  }

  /** Nothing queued, delayed or being consumed. */
  get idle(): boolean {
    return (
      this.#ready.length === 0 &&
      this.#delayed.size === 0 &&
      this.#flushing === null &&
      this.#flushTimer === null
    );
  }

  /** Waits until the queue is idle or the time is up; says which. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.idle) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /**
   * Stops delivering: waits for the batch in flight, then drops what is left (it is in memory
   * only). Returns the number of messages dropped.
   */
  async close(): Promise<number> {
    this.#closed = true;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    for (const timer of this.#delayed) clearTimeout(timer);
    const dropped = this.#ready.length + this.#delayed.size;
    this.#delayed.clear();
    this.#ready = [];
    await this.#flushing;
    return dropped;
  }

  #nextId(): string {
    this.#sequence += 1;
    return `${this.#settings.name}-${Date.now().toString(36)}-${this.#sequence}`;
  }

  #enqueue(entry: Entry, delaySeconds = 0): void {
    if (this.#closed) throw new Error(`queue ${this.#settings.name} is closed`);
    if (delaySeconds <= 0) {
      this.#ready.push(entry);
      this.#scheduleFlush();
      return;
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(timer);
      this.#ready.push(entry);
      this.#scheduleFlush();
    }, delaySeconds * 1000);
    this.#delayed.add(timer);
  }

  #scheduleFlush(): void {
    if (this.#closed || this.#flushing || this.#ready.length === 0) return;
    const full = this.#ready.length >= this.#settings.maxBatchSize;
    if (this.#flushTimer) {
      if (!full) return;
      clearTimeout(this.#flushTimer);
    }
    this.#flushTimer = setTimeout(
      () => {
        this.#flushTimer = null;
        this.#flushing = this.#flush().finally(() => {
          this.#flushing = null;
          this.#scheduleFlush();
        });
      },
      full ? 0 : this.#settings.maxBatchTimeoutMs,
    );
  }

  async #flush(): Promise<void> {
    const entries = this.#ready.splice(0, this.#settings.maxBatchSize);
    const settlements = new Map<Entry, Settlement>();
    const messages = entries.map(
      (entry): QueueMessage => ({
        id: entry.id,
        body: entry.body,
        attempts: entry.attempts,
        ack: () => settlements.set(entry, { retry: false }),
        retry: (options) =>
          settlements.set(entry, { retry: true, delaySeconds: options?.delaySeconds }),
      }),
    );
    let threw = false;
    try {
      await this.#consume({ queue: this.#settings.name, messages });
    } catch (error) {
      threw = true;
      warn("consumer threw; retrying the messages it did not ack", {
        queue: this.#settings.name,
        error: (error as Error).name,
      });
    }
    for (const entry of entries) {
      const settlement: Settlement =
        settlements.get(entry) ??
        (threw ? { retry: true, delaySeconds: undefined } : { retry: false });
      if (settlement.retry) this.#retryOrGiveUp(entry, settlement.delaySeconds);
    }
  }

  #retryOrGiveUp(entry: Entry, delaySeconds: number | undefined): void {
    if (this.#closed) return;
    if (entry.attempts < this.#settings.maxRetries + 1) {
      this.#enqueue({ ...entry, attempts: entry.attempts + 1 }, delaySeconds);
      return;
    }
    const deadLetters = this.#settings.deadLetterQueue;
    // Ids and counts only: bodies are workbook rows, i.e. personal data.
    warn(deadLetters ? "moving a message to the dead-letter queue" : "dropping a message", {
      queue: this.#settings.name,
      id: entry.id,
      attempts: entry.attempts,
      ...(deadLetters ? { dead_letter_queue: deadLetters.name } : {}),
    });
    if (deadLetters) deadLetters.#enqueue({ id: entry.id, body: entry.body, attempts: 1 });
  }
}

/** Queues carry copies, as a real queue serialises its messages. */
function copy(body: unknown): unknown {
  return structuredClone(body);
}

function warn(what: string, fields: Record<string, unknown>): void {
  log("warn", what, fields);
}
