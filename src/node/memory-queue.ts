import { databaseErrorKind } from "../db/error-kind";
import type { IngestMessage } from "../ingest/messages";
import type { IngestQueue, IngestSendRequest, QueueBatch, QueueMessage } from "../ingest/queue";
import type { Statement } from "../ingest/store";
import { log } from "../lib/log";
import { monotonicNow } from "../lib/monotonic-clock";
import type { QueueStore, Settlements } from "./queue-store";

/*
 * An in-process queue with the delivery rules of Cloudflare Queues, so the Node server runs the
 * Worker's consumer unchanged: batches of up to `maxBatchSize`, delivered when full or
 * `maxBatchTimeoutMs` after the first message is ready; per-message `ack()` / `retry()` with a
 * delay; a handler that throws retries every message it did not ack; after `maxRetries + 1`
 * failed deliveries a message moves to the dead-letter queue (or is dropped, and logged, when
 * there is none). One batch is consumed at a time.
 * With a `store` (the Node server always gives one: src/node/queue-store.ts) every message is
 * also kept in the database from the moment `send` resolves until it is settled, and `restore()`
 * picks up what a previous process left, attempts included: a crash or restart loses nothing. A
 * delivery cut short by a crash is not counted, so that message comes back with the same attempt
 * number (delivery stays at least once; the consumer's writes are idempotent). With a store each
 * delivered message also offers its `removal`, which the consumer commits with the writes that
 * land it: one synced commit instead of two. Without a store (unit tests) messages live in memory
 * only.
 */

export interface MemoryQueueSettings {
  name: string;
  maxBatchSize: number;
  maxBatchTimeoutMs: number;
  maxRetries: number;
  deadLetterQueue?: MemoryQueue;
  /** Keeps every message until it is settled; without one, a restart loses what was queued. */
  store?: QueueStore;
  /**
   * With a store: what `sendBatch` commits together with the messages (the chunks' registration),
   * so the ingest endpoint writes nothing itself and `registersChunks` is true.
   */
  registration?: (bodies: readonly IngestMessage[]) => Promise<Statement[]>;
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

  get registersChunks(): boolean {
    return this.#settings.store !== undefined && this.#settings.registration !== undefined;
  }

  async send(body: unknown, options: { delaySeconds?: number } = {}): Promise<void> {
    await this.sendBatch([{ body: body as IngestSendRequest["body"], ...options }]);
  }

  /** Resolves once every message is accepted: with a store, once they are all committed. */
  async sendBatch(messages: Iterable<IngestSendRequest>): Promise<void> {
    if (this.#closed) throw new Error(`queue ${this.#settings.name} is closed`);
    const now = Date.now();
    const accepted = [...messages].map((message) => ({
      entry: { id: this.#nextId(), body: copy(message.body), attempts: 1 },
      delaySeconds: message.delaySeconds ?? 0,
    }));
    const registration = await this.#settings.registration?.(
      accepted.map(({ entry }) => entry.body as IngestMessage),
    );
    await this.#settings.store?.add(
      this.#settings.name,
      accepted.map(({ entry, delaySeconds }) => ({
        ...entry,
        availableAt: now + delaySeconds * 1000,
      })),
      registration,
    );
    for (const { entry, delaySeconds } of accepted) this.#enqueue(entry, delaySeconds);
  }

  /**
   * Takes up the messages a previous process left in the store (none without a store): each is
   * delivered when its delay is over, with the attempt number it had reached. Returns how many.
   */
  async restore(): Promise<number> {
    const stored = (await this.#settings.store?.load(this.#settings.name)) ?? [];
    const now = Date.now();
    for (const { availableAt, ...entry } of stored) {
      this.#enqueue(entry, Math.max(0, availableAt - now) / 1000);
    }
    return stored.length;
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
    const deadline = monotonicNow() + timeoutMs;
    while (!this.idle) {
      if (monotonicNow() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /**
   * Stops delivering: waits for the batch in flight, then lets go of what is left (a store keeps
   * it for the next start; without one it is lost). Returns the number of messages left.
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
    // The random part keeps ids unique across restarts of a process sharing one store.
    return `${this.#settings.name}-${Date.now().toString(36)}-${this.#sequence}-${crypto.randomUUID().slice(0, 8)}`;
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
    const store = this.#settings.store;
    const messages = entries.map(
      (entry): QueueMessage => ({
        id: entry.id,
        body: entry.body,
        attempts: entry.attempts,
        ack: () => settlements.set(entry, { retry: false }),
        retry: (options) =>
          settlements.set(entry, { retry: true, delaySeconds: options?.delaySeconds }),
        ...(store ? { removal: () => store.removal([entry.id]) } : {}),
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
    const outcomes = entries.map((entry) => {
      const settlement: Settlement =
        settlements.get(entry) ??
        (threw ? { retry: true, delaySeconds: undefined } : { retry: false });
      return { entry, settlement, next: this.#nextStep(entry, settlement) };
    });
    await this.#persist(outcomes);
    for (const { entry, settlement, next } of outcomes) {
      if (this.#closed || next === "done") continue;
      if (next === "retry") {
        const delaySeconds = settlement.retry ? settlement.delaySeconds : undefined;
        this.#enqueue({ ...entry, attempts: entry.attempts + 1 }, delaySeconds);
      } else {
        this.#giveUp(entry);
      }
    }
  }

  #nextStep(entry: Entry, settlement: Settlement): "done" | "retry" | "give up" {
    if (!settlement.retry) return "done";
    return entry.attempts < this.#settings.maxRetries + 1 ? "retry" : "give up";
  }

  /** Records the batch's outcome in the store before acting on it in memory. */
  async #persist(
    outcomes: { entry: Entry; settlement: Settlement; next: "done" | "retry" | "give up" }[],
  ): Promise<void> {
    const store = this.#settings.store;
    if (!store) return;
    const now = Date.now();
    const deadLetters = this.#settings.deadLetterQueue;
    const settled: Settlements = { remove: [], retry: [], moveTo: [] };
    for (const { entry, settlement, next } of outcomes) {
      if (next === "retry") {
        const delayMs = settlement.retry ? (settlement.delaySeconds ?? 0) * 1000 : 0;
        settled.retry.push({
          id: entry.id,
          attempts: entry.attempts + 1,
          availableAt: now + delayMs,
        });
      } else if (next === "give up" && deadLetters) {
        settled.moveTo.push({ id: entry.id, queue: deadLetters.name });
      } else {
        settled.remove.push(entry.id);
      }
    }
    try {
      await store.settle(settled);
    } catch (error) {
      // The messages stay stored as they were: a restart delivers them again, which the
      // consumer's idempotent writes absorb.
      const kind = databaseErrorKind(error);
      warn("could not record settled messages", {
        queue: this.#settings.name,
        error: (error as Error).name,
        ...(kind ? { kind } : {}),
      });
    }
  }

  #giveUp(entry: Entry): void {
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
