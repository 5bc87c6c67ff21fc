import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { WorkbookError } from "./workbook-error";
import type { ByteRange } from "./xlsx-container";

/*
 * A workbook's SHA-256, as the ingest report gives it per file: `--resend-dead` sends rows by their
 * worksheet row numbers, which name the same rows only in the very file that run read. The digest
 * is taken of the bytes the rows are read from, as they are read (`HashedRead`): it was taken in a
 * pass of its own just before exceljs read the file again, so a workbook replaced between the two
 * was recorded with the digest of one file and the rows of another.
 */

/** What one read takes: a file stream's own chunk size. */
const READ_BYTES = 64 * 1024;

/**
 * A workbook opened once: the container check, every read of its rows and its digest go through
 * this one handle, so a file replaced under its name meanwhile (saved again, copied over) is not
 * read in part: the handle still reads the file that was opened.
 */
export class WorkbookFile {
  constructor(
    readonly path: string,
    readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<WorkbookFile> {
    return new WorkbookFile(path, await open(path, "r"));
  }

  /**
   * The SHA-256 of the whole file, in hex, read through one buffer used again for every read: a
   * million loans' workbook is never held in memory (a file stream's fresh 64 KB chunk per read,
   * left to the garbage collector, grew the process's RSS by 34–41 MB over a 60 MB file, this by
   * 2–8 MB; 0.1–0.3 s for it).
   */
  async sha256(): Promise<string> {
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (let position = 0; ; ) {
      const { bytesRead } = await this.handle.read(buffer, 0, READ_BYTES, position);
      if (bytesRead === 0) return hash.digest("hex");
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  }

  /** One read of the file's bytes, in `ranges`' order (null: as stored), hashed as it goes. */
  read(ranges: readonly ByteRange[] | null): HashedRead {
    return new HashedRead(this.handle, ranges);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/**
 * The file's bytes for exceljs (`chunks`), each read once, and the SHA-256 of those very bytes
 * (`sha256`). The ranges put the worksheets last (xlsx-container.ts) while a digest takes the
 * bytes in file order: a chunk read ahead of the bytes before it (the shared strings, styles and
 * properties a workbook stores after its worksheet, a few KB to a few MB, which exceljs holds in
 * memory whole anyway) is kept until they are hashed; the worksheets, the bulk of the file, are
 * hashed as they stream and never held.
 */
export class HashedRead {
  readonly #hash = createHash("sha256");
  /** The bytes before this position are hashed. */
  #hashedTo = 0;
  /** Chunks read ahead of `#hashedTo`, by their position. */
  readonly #ahead = new Map<number, Buffer>();
  /** Once the digest is being taken, the chunks stop: exceljs gets nothing the digest has not. */
  #sealed = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly ranges: readonly ByteRange[] | null,
  ) {}

  /**
   * The bytes of the ranges, one after the other (positional reads: a stream per range would
   * leave a listener on the handle each, and a workbook of more than ten parts made Node warn of
   * a leak), or of the whole file as stored.
   */
  async *chunks(): AsyncGenerator<Buffer> {
    for (const { start, end } of this.ranges ?? [{ start: 0, end: Number.POSITIVE_INFINITY }]) {
      let position = start;
      while (position < end) {
        const length = Math.min(READ_BYTES, end - position);
        const { bytesRead, buffer } = await this.handle.read(
          Buffer.allocUnsafe(length),
          0,
          length,
          position,
        );
        if (this.#sealed) return;
        if (bytesRead === 0) {
          if (end === Number.POSITIVE_INFINITY) break;
          throw new Error(`the file ended at byte ${position}, inside a part`);
        }
        const bytes = bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
        this.#add(position, bytes);
        yield bytes;
        position += bytesRead;
      }
    }
  }

  /**
   * The SHA-256 of the bytes `chunks` gave, with those it did not reach (exceljs was done before
   * the zip's end, or the read stopped) read now through the same handle, in hex. Ends `chunks`.
   */
  async sha256(): Promise<string> {
    this.#sealed = true;
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      let upTo = this.#hashedTo + READ_BYTES;
      for (const start of this.#ahead.keys()) {
        if (start > this.#hashedTo && start < upTo) upTo = start;
      }
      const { bytesRead } = await this.handle.read(
        buffer,
        0,
        upTo - this.#hashedTo,
        this.#hashedTo,
      );
      if (bytesRead === 0) break;
      // Hashed at once (it is at `#hashedTo`): the buffer is not kept.
      this.#add(this.#hashedTo, buffer.subarray(0, bytesRead));
    }
    if (this.#ahead.size > 0) {
      throw new Error(`the file ended at byte ${this.#hashedTo}, before bytes read from it`);
    }
    return this.#hash.digest("hex");
  }

  #add(position: number, bytes: Buffer): void {
    if (position > this.#hashedTo) {
      this.#ahead.set(position, bytes);
      return;
    }
    if (position < this.#hashedTo) throw new Error(`byte ${position} was read twice`);
    this.#hash.update(bytes);
    this.#hashedTo += bytes.length;
    for (let next = this.#ahead.get(this.#hashedTo); next; next = this.#ahead.get(this.#hashedTo)) {
      this.#ahead.delete(this.#hashedTo);
      this.#hash.update(next);
      this.#hashedTo += next.length;
    }
  }
}

/**
 * The digest of a read to the end, checked against the one it must have when given (`sha256`);
 * `path`: the workbook, as its WorkbookError names it.
 */
export async function digestOf(
  path: string,
  bytes: HashedRead,
  sha256: string | undefined,
): Promise<string> {
  let digest: string;
  try {
    digest = await bytes.sha256();
  } catch (error) {
    const detail = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new WorkbookError(path, `cannot be read (${detail})`, { cause: error });
  }
  if (sha256 !== undefined && digest !== sha256) {
    throw new WorkbookError(
      path,
      "changed while it was read: its SHA-256 is no longer the one found before anything was sent; run the whole workbooks again",
    );
  }
  return digest;
}
