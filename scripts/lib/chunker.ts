import {
  byteLength,
  type IngestMessage,
  QUEUE_LIMITS,
  ROWS_PER_CHUNK,
} from "../../src/ingest/messages";
import type { CustomerRow, IngestKind, LoanRow } from "../../src/ingest/rows";
import type { ChunkRows } from "./chunk-rows";

/*
 * Cuts a stream of rows into queue messages and groups messages into sends, so that every
 * message stays under the queue's 128 KB and every send under 100 messages and 256 KB. Pure
 * bookkeeping: the caller sends what `add` and `flush` hand back.
 */

type Row = CustomerRow | LoanRow;

export class Chunker {
  #rows: Row[] = [];
  #rowBytes = 0;
  #messages: IngestMessage[] = [];
  #messageBytes = 0;
  #nextSeq: number;
  #deferNewIds = false;

  constructor(
    private readonly jobId: string,
    private kind: IngestKind,
    firstSeq = 0,
    private readonly rowsPerChunk = ROWS_PER_CHUNK,
    /** Where each chunk's worksheet rows are recorded, to name a dead chunk's rows. */
    private readonly chunkRows?: ChunkRows,
  ) {
    this.#nextSeq = firstSeq;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  /**
   * Switches to another kind of rows, or to loans sent with or without `defer_new_ids`
   * (src/ingest/messages.ts); call flush first.
   */
  startKind(kind: IngestKind, { deferNewIds = false }: { deferNewIds?: boolean } = {}): void {
    if (this.#rows.length > 0 || this.#messages.length > 0)
      throw new Error("flush before switching kinds");
    this.kind = kind;
    this.#deferNewIds = deferNewIds && kind === "loans";
  }

  /** Adds a row; returns a full send (a list of messages) when one is ready. */
  add(row: Row): IngestMessage[] | null {
    const size = byteLength(row) + 1;
    let ready: IngestMessage[] | null = null;
    if (
      this.#rows.length >= this.rowsPerChunk ||
      this.#rowBytes + size > QUEUE_LIMITS.maxMessageBytes - 200
    ) {
      ready = this.#closeMessage();
    }
    this.#rows.push(row);
    this.#rowBytes += size;
    return ready;
  }

  /** Everything still held, as zero or more sends. */
  flush(): IngestMessage[][] {
    const sends: IngestMessage[][] = [];
    const last = this.#closeMessage();
    if (last) sends.push(last);
    if (this.#messages.length > 0) sends.push(this.#takeMessages());
    return sends;
  }

  /** Closes the current message; returns a send if adding it would overflow the current one. */
  #closeMessage(): IngestMessage[] | null {
    if (this.#rows.length === 0) return null;
    const envelope = {
      job_id: this.jobId,
      seq: this.#nextSeq++,
      kind: this.kind,
      ...(this.#deferNewIds ? { defer_new_ids: true } : {}),
      rows: [],
    };
    const message = { ...envelope, rows: this.#rows } as IngestMessage;
    this.chunkRows?.record(envelope.seq, this.#rows);
    // The rows' sizes are known (each with its comma, one more than the list has): not
    // serialised a second time.
    const size = byteLength(envelope) + this.#rowBytes;
    this.#rows = [];
    this.#rowBytes = 0;
    let ready: IngestMessage[] | null = null;
    if (
      this.#messages.length >= QUEUE_LIMITS.maxMessagesPerSend ||
      this.#messageBytes + size > QUEUE_LIMITS.maxSendBytes - 200
    ) {
      ready = this.#takeMessages();
    }
    this.#messages.push(message);
    this.#messageBytes += size;
    return ready;
  }

  #takeMessages(): IngestMessage[] {
    const messages = this.#messages;
    this.#messages = [];
    this.#messageBytes = 0;
    return messages;
  }
}
