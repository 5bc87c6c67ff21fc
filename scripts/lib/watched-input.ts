/*
 * exceljs's streaming reader pipes its input into an unzipper and then awaits the zip entries. When
 * the unzipper fails (damaged compressed data), it emits the error on itself, which exceljs is not
 * awaiting: the entry never ends, nothing is left to run, and Node exits silently mid-read. We hand
 * exceljs a stream that listens for errors on whatever it is piped into, and make every step of
 * the read fail as soon as such an error arrives, so a damaged file becomes an error instead.
 * The file can be streamed as it is or as byte ranges in another order (xlsx-container.ts).
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { PassThrough, Readable } from "node:stream";
import type { ByteRange } from "./xlsx-container";

class ErrorReportingPassThrough extends PassThrough {
  constructor(private readonly onDownstreamError: (error: unknown) => void) {
    super();
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    destination.on("error", this.onDownstreamError);
    return super.pipe(destination, options);
  }
}

export class WatchedInput {
  /** The file's bytes, for exceljs to read. */
  readonly stream: PassThrough;
  readonly #file: Readable;
  #failure: { error: unknown } | undefined;
  /** Steps waiting for exceljs right now; each leaves the set when it settles. */
  readonly #pendingSteps = new Set<(error: unknown) => void>();

  constructor(path: string, ranges: readonly ByteRange[] | null = null) {
    const fail = (error: unknown) => this.#fail(error);
    this.#file = ranges ? Readable.from(rangesOf(path, ranges)) : createReadStream(path);
    this.stream = new ErrorReportingPassThrough(fail);
    this.#file.on("error", fail);
    this.#file.pipe(this.stream);
  }

  /** Iterates `iterable`, but throws as soon as the input fails, even while a step is pending. */
  async *guard<T>(iterable: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = iterable[Symbol.asyncIterator]();
    while (true) {
      const step = await this.#next(iterator);
      if (step.done) return;
      yield step.value;
    }
  }

  close(): void {
    this.#file.destroy();
    this.stream.destroy();
  }

  // A listener per pending step, removed when the step settles: racing every step against one
  // never-settling promise instead would pile up a reaction (and a row) per step until the end.
  #next<T>(iterator: AsyncIterator<T>): Promise<IteratorResult<T>> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    return new Promise((resolve, reject) => {
      this.#pendingSteps.add(reject);
      iterator
        .next()
        .then(resolve, reject)
        .finally(() => this.#pendingSteps.delete(reject));
    });
  }

  #fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = { error };
    for (const reject of this.#pendingSteps) reject(error);
    this.#pendingSteps.clear();
  }
}

/** How much of a range one read takes: the size of a file stream's own chunks. */
const READ_BYTES = 64 * 1024;

/**
 * The bytes of `ranges`, one after the other, through one open file: a file moved or deleted
 * during the read is still read whole, as when it is streamed as stored. Positional reads, not a
 * stream per range: each stream on a FileHandle leaves a listener on it, and a workbook of more
 * than ten parts made Node warn of a leak.
 */
async function* rangesOf(path: string, ranges: readonly ByteRange[]): AsyncGenerator<Buffer> {
  const file = await open(path, "r");
  try {
    for (const { start, end } of ranges) {
      let position = start;
      while (position < end) {
        const length = Math.min(READ_BYTES, end - position);
        const { bytesRead, buffer } = await file.read(
          Buffer.allocUnsafe(length),
          0,
          length,
          position,
        );
        if (bytesRead === 0) throw new Error(`the file ended at byte ${position}, inside a part`);
        yield bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
        position += bytesRead;
      }
    }
  } finally {
    await file.close();
  }
}
