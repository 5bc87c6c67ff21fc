import type { MetricObjectWithValues, MetricValue } from "prom-client";
import type { IngestSendRequest } from "../../ingest/queue";
import { type PlainError, plainError, rebuiltError } from "./ipc-error";

/*
 * The whole protocol between the cluster's primary and its HTTP workers, over node:cluster's IPC
 * channel (structured clone: `serialization: "advanced"`). Either side asks with a numbered
 * request and the other replies to that number, with a value or an error as plain data
 * (ipc-error.ts).
 * The primary also tells a worker to stop.
 */

/** What a worker asks the primary, which owns the queue, the rate limiter and the metrics' sum. */
export type WorkerAsks =
  | { kind: "rate-limit"; key: string }
  | { kind: "ingest"; messages: IngestSendRequest[] }
  | { kind: "metrics" };

/**
 * What the primary asks a worker: its own metrics, to add them up; and whether it still answers
 * (a worker stuck in a loop is killed and replaced: primary.ts).
 */
export type PrimaryAsks = { kind: "metrics-snapshot" } | { kind: "ping" };

type Ask = WorkerAsks | PrimaryAsks;

/** The value each kind of request is answered with. */
export interface Answers {
  "rate-limit": { success: boolean };
  /** The messages are committed to the primary's queue store. */
  ingest: null;
  /** The Prometheus text of every process, added up. */
  metrics: string;
  "metrics-snapshot": MetricObjectWithValues<MetricValue<string>>[];
  /** The worker's event loop runs. */
  ping: null;
}

type Envelope =
  | { cluster: "request"; id: number; body: Ask }
  | { cluster: "reply"; id: number; value: unknown }
  | { cluster: "reply"; id: number; error: PlainError }
  | { cluster: "stop" };

/** A request the other side did not answer in time: a stuck or dying process. */
const ASK_TIMEOUT_MS = 30_000;

/** The other end will not answer: it has gone, or is stuck. */
export class NoAnswerError extends Error {
  override name = "NoAnswerError";
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** One end of the channel: asks the other end, answers its requests with `answer`. */
export class ClusterChannel<Out extends Ask, In extends Ask> {
  readonly #send: (message: Envelope) => void;
  readonly #answer: (request: In) => Promise<unknown>;
  readonly #pending = new Map<number, Pending>();
  #sequence = 0;
  #onStop: (() => void) | null = null;

  constructor(
    send: (message: Envelope) => void,
    answer: (request: In) => Promise<Answers[In["kind"]]>,
  ) {
    this.#send = send;
    this.#answer = answer;
  }

  /** Rejects with NoAnswerError when no answer comes within `timeoutMs`. */
  ask<R extends Out>(request: R, timeoutMs = ASK_TIMEOUT_MS): Promise<Answers[R["kind"]]> {
    const id = ++this.#sequence;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new NoAnswerError(`no answer to ${request.kind} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      try {
        this.#send({ cluster: "request", id, body: request });
      } catch (error) {
        this.#settle(id, (pending) => pending.reject(error as Error));
      }
    });
  }

  /** Tells the worker at the other end to stop (primary → worker). */
  stop(): void {
    this.#send({ cluster: "stop" });
  }

  /** What a worker does when its primary says stop. */
  onStop(stop: () => void): void {
    this.#onStop = stop;
  }

  /** Handles a message from the other end; anything not of this protocol is ignored. */
  receive(message: unknown): void {
    if (!isEnvelope(message)) return;
    if (message.cluster === "stop") {
      this.#onStop?.();
    } else if (message.cluster === "request") {
      void this.#reply(message.id, message.body as In);
    } else if ("error" in message) {
      const error = rebuiltError(message.error);
      this.#settle(message.id, (pending) => pending.reject(error));
    } else {
      this.#settle(message.id, (pending) => pending.resolve(message.value));
    }
  }

  /** The other end has gone: nothing pending will be answered. */
  close(reason: string): void {
    for (const id of [...this.#pending.keys()]) {
      this.#settle(id, (pending) => pending.reject(new NoAnswerError(reason)));
    }
  }

  async #reply(id: number, request: In): Promise<void> {
    let reply: Envelope;
    try {
      reply = { cluster: "reply", id, value: await this.#answer(request) };
    } catch (error) {
      reply = { cluster: "reply", id, error: plainError(error) };
    }
    try {
      this.#send(reply);
    } catch {
      // The asker has gone; its requests die with it.
    }
  }

  #settle(id: number, settle: (pending: Pending) => void): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    settle(pending);
  }
}

function isEnvelope(message: unknown): message is Envelope {
  return (
    typeof message === "object" &&
    message !== null &&
    "cluster" in message &&
    ["request", "reply", "stop"].includes(String(message.cluster))
  );
}
