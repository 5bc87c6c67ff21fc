import { asc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/database";
import { nodeQueueMessages } from "../db/schema";
import { runAtomically, type Statement, slices } from "../ingest/store";
import { log } from "../lib/log";

/*
 * Where the Node server's queue keeps its messages: the `node_queue_messages` table of the app's
 * own database. A message is written before the ingest endpoint answers 2xx and deleted only once
 * the consumer has settled it, so a crash or a restart loses nothing the server acknowledged.
 * Cloudflare Queues give the Worker the same guarantee; this is its counterpart on Node.
 */

interface StoredMessage {
  id: string;
  body: unknown;
  /** The number of its next delivery (1 for a message never delivered). */
  attempts: number;
  /** Epoch milliseconds before which it is not delivered. */
  availableAt: number;
}

/** What one delivered batch decided, persisted in one atomic batch. */
export interface Settlements {
  /** Done with: acked, or dropped for good. */
  remove: string[];
  /** To be delivered again, as delivery number `attempts`, not before `availableAt`. */
  retry: { id: string; attempts: number; availableAt: number }[];
  /** Given up: moved to the dead-letter queue, whose first delivery is then due. */
  moveTo: { id: string; queue: string }[];
}

export interface QueueStore {
  /**
   * Keeps new messages of `queue`, and runs `alongside` in the same commit; resolves once they
   * are committed.
   */
  add(queue: string, messages: readonly StoredMessage[], alongside?: Statement[]): Promise<void>;
  settle(settlements: Settlements): Promise<void>;
  /** What removes these messages, for a caller's own commit (the consumer's landing). */
  removal(ids: readonly string[]): Statement[];
  /** The messages `queue` holds, oldest first: what a restart delivers again. */
  load(queue: string): Promise<StoredMessage[]>;
}

/** Six columns a message; the slice keeps statements small, as everywhere in the data layer. */
const MESSAGES_PER_STATEMENT = 16;
const IDS_PER_STATEMENT = 99;

export function databaseQueueStore(db: Database): QueueStore {
  const removal = (ids: readonly string[]): Statement[] =>
    slices(ids, IDS_PER_STATEMENT).map((slice) =>
      db.delete(nodeQueueMessages).where(inArray(nodeQueueMessages.id, slice)),
    );
  return {
    removal,

    async add(queue, messages, alongside = []) {
      await runAtomically(db, [
        ...alongside,
        ...slices(messages, MESSAGES_PER_STATEMENT).map((slice) =>
          db.insert(nodeQueueMessages).values(
            slice.map((message) => ({
              id: message.id,
              queue,
              body: JSON.stringify(message.body),
              attempts: message.attempts,
              availableAt: message.availableAt,
            })),
          ),
        ),
      ]);
    },

    async settle({ remove, retry, moveTo }) {
      const now = Date.now();
      // A message the consumer's landing already removed is deleted again here: a commit that
      // changes nothing writes no WAL frame, so it costs no sync.
      const statements: Statement[] = [
        ...removal(remove),
        ...retry.map((message) =>
          db
            .update(nodeQueueMessages)
            .set({ attempts: message.attempts, availableAt: message.availableAt })
            .where(eq(nodeQueueMessages.id, message.id)),
        ),
        ...moveTo.map((message) =>
          db
            .update(nodeQueueMessages)
            .set({ queue: message.queue, attempts: 1, availableAt: now })
            .where(eq(nodeQueueMessages.id, message.id)),
        ),
      ];
      await runAtomically(db, statements);
    },

    async load(queue) {
      const rows = await db
        .select()
        .from(nodeQueueMessages)
        .where(eq(nodeQueueMessages.queue, queue))
        // Insertion order: the table's rowid grows with every insert.
        .orderBy(asc(sql`rowid`));
      return rows.map((row) => ({
        id: row.id,
        body: parseBody(row.id, row.body),
        attempts: row.attempts,
        availableAt: row.availableAt,
      }));
    },
  };
}

/**
 * A stored body that is not JSON (edited by hand, damaged) is handed over as its text: the
 * consumer refuses it like any message that is no chunk. Parsed as it was, it stopped the
 * server from starting at all, every queued chunk with it.
 */
function parseBody(id: string, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    log("warn", "queued message is not JSON", { id });
    return body;
  }
}
