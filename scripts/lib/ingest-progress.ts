import type { JobReport } from "../../src/ingest/job-report";
import type { IngestMessage } from "../../src/ingest/messages";
import type { IngestKind } from "../../src/ingest/rows";
import { monotonicNow } from "../../src/lib/monotonic-clock";

/** Live progress on stderr: rows read, sent and landed per file, at most twice a second. */
export class Progress {
  readonly readRows = { customers: 0, loans: 0 };
  readonly sentRows = { customers: 0, loans: 0 };
  readonly landedRows = { customers: 0, loans: 0 };
  /** The last job report seen: what a failed run reports as landed. */
  lastJob: JobReport | null = null;
  #lastPrint = Number.NEGATIVE_INFINITY;
  #lastLandedUpdate = monotonicNow();
  readonly #interactive = process.stderr.isTTY === true;
  /** A terminal's progress line is drawn, its cursor at its end (no line end after it). */
  #lineDrawn = false;
  #stopped = false;

  constructor(private readonly log: (line: string) => void) {}

  /**
   * Another line for the operator while the run goes on (a retry): on a terminal, in place of the
   * progress line, which is drawn again below it. It was written after it, on the same line
   * (`… landed 0retrying POST /ingest/batches …`).
   */
  note(line: string): void {
    if (this.#lineDrawn) process.stderr.write("\r\x1b[K");
    this.#lineDrawn = false;
    this.log(line);
  }

  read(kind: IngestKind): void {
    this.readRows[kind]++;
    this.#maybePrint();
  }

  sent(messages: IngestMessage[]): void {
    for (const message of messages) this.sentRows[message.kind] += message.rows.length;
    this.#maybePrint();
  }

  /**
   * Rows the server deferred (handed back to be sent again, src/ingest/messages.ts): counted as
   * sent once, when they are sent again.
   */
  deferred(kind: IngestKind, rows: number): void {
    this.sentRows[kind] -= rows;
  }

  landedIsStale(): boolean {
    return monotonicNow() - this.#lastLandedUpdate > 2_000;
  }

  landed(job: JobReport): void {
    this.lastJob = job;
    this.#lastLandedUpdate = monotonicNow();
    this.landedRows.customers = job.customers.landed;
    this.landedRows.loans = job.loans.landed;
    this.#maybePrint();
  }

  /** The last progress line, with its line end; none after it. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#print(true);
  }

  /**
   * No progress after this, and a terminal's line ended as it stands: a failed run's last line
   * comes next. Interrupted (Ctrl-C), the run did not stop its progress: `ingest failed:
   * interrupted` was written after the line (and the terminal's `^C`), and the rows still being
   * read could draw it again.
   */
  halt(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#lineDrawn) process.stderr.write("\n");
    this.#lineDrawn = false;
  }

  #maybePrint(): void {
    if (this.#stopped) return;
    const now = monotonicNow();
    // Without a terminal, print every few seconds instead of redrawing one line.
    if (now - this.#lastPrint >= (this.#interactive ? 500 : 3_000)) this.#print(false);
  }

  #print(final: boolean): void {
    this.#lastPrint = monotonicNow();
    const part = (kind: IngestKind) =>
      `${kind} read ${this.readRows[kind]}, sent ${this.sentRows[kind]}, landed ${this.landedRows[kind]}`;
    const line = `${part("customers")} | ${part("loans")}`;
    if (this.#interactive) {
      // Erased to the line's end: a line shorter than the one it is drawn over left that one's
      // last characters (the sent count drops when the server defers rows, and a run failing
      // before they are sent again showed `sent 9, landed 99` for `sent 9, landed 9`).
      process.stderr.write(`\r${final ? line : this.#fitted(line)}\x1b[K${final ? "\n" : ""}`);
      this.#lineDrawn = !final;
    } else {
      this.log(line);
    }
  }

  /**
   * The live line within the terminal's width, read at each drawing (it can be resized): a line
   * that wrapped left its first rows behind at each drawing, `\r` going back only to the start of
   * its last. The compact form keeps every count; narrower still, it is cut. Unknown width (0):
   * as it is.
   */
  #fitted(line: string): string {
    const room = (process.stderr.columns ?? 0) - 1;
    if (room < 0 || line.length <= room) return line;
    const counts = (kind: IngestKind) =>
      `${this.readRows[kind]}/${this.sentRows[kind]}/${this.landedRows[kind]}`;
    const compact = `customers ${counts("customers")}, loans ${counts("loans")} (read/sent/landed)`;
    return compact.slice(0, room);
  }
}
