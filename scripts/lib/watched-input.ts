/*
 * exceljs's streaming reader pipes its input into an unzipper and then awaits the zip entries. When
 * the unzipper fails (damaged compressed data), it emits the error on itself, which exceljs is not
 * awaiting: the entry never ends, nothing is left to run, and Node exits silently mid-read. We hand
 * exceljs a stream that listens for errors on whatever it is piped into, and make every step of
 * the read fail as soon as such an error arrives, so a damaged file becomes an error instead.
 * The file's bytes come as it is stored or as byte ranges in another order (xlsx-container.ts),
 * read through the workbook's one open handle and hashed as they are (workbook-digest.ts).
 */
import { PassThrough, Readable } from "node:stream";

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

  constructor(chunks: AsyncIterable<Buffer>) {
    const fail = (error: unknown) => this.#fail(error);
    this.#file = Readable.from(chunks);
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
