/*
 * The worksheet rows each chunk of a run carried, so that a chunk the server gives up on (a dead
 * chunk) can be named by its rows: loans are regrouped by customer before chunking
 * (customer-buckets.ts), so a chunk is no block of the file. Which chunks will die is known only
 * at the end, so every chunk's rows are kept, but compactly: as ranges of consecutive rows, each
 * range written as two unsigned LEB128 numbers (its gap after the previous range, its length
 * less one) in one byte array per chunk. A chunk of scattered loans (each row ~20 rows after the
 * last) costs about 2 bytes a row; a block of rows (customers, a file sorted by customer) a few
 * bytes in all. Measured over a million loans of random customers: about 3 MB in all, where the
 * row numbers as numbers would take 8 MB or more, and the rows themselves hundreds
 * (docs/ingestion.md#a-dead-chunks-rows).
 */

/** An inclusive range of worksheet rows. */
type RowRange = readonly [first: number, last: number];

export class ChunkRows {
  readonly #bySeq = new Map<number, Uint8Array>();
  /** Reused while encoding: a chunk's ranges take at most 2 × 8 bytes each. */
  #scratch = new Uint8Array(1024);
  #length = 0;

  /** Records the rows chunk `seq` carries (in any order). */
  record(seq: number, rows: readonly { row: number }[]): void {
    const numbers = Float64Array.from(rows, (row) => row.row).sort();
    this.#length = 0;
    let previousLast = 0;
    let index = 0;
    while (index < numbers.length) {
      const first = numbers[index] as number;
      let last = first;
      index += 1;
      // A row twice (it cannot be, but costs nothing) stays inside its range.
      while (index < numbers.length && (numbers[index] as number) <= last + 1) {
        last = numbers[index] as number;
        index += 1;
      }
      this.#write(first - previousLast);
      this.#write(last - first);
      previousLast = last;
    }
    this.#bySeq.set(seq, this.#scratch.slice(0, this.#length));
  }

  /** Chunk `seq`'s rows as ascending ranges; null for a chunk this run did not record. */
  ranges(seq: number): RowRange[] | null {
    const bytes = this.#bySeq.get(seq);
    if (!bytes) return null;
    const ranges: RowRange[] = [];
    let offset = 0;
    const read = () => {
      let value = 0;
      let scale = 1;
      for (;;) {
        const byte = bytes[offset] as number;
        offset += 1;
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) return value;
        scale *= 0x80;
      }
    };
    let previousLast = 0;
    while (offset < bytes.length) {
      const first = previousLast + read();
      const last = first + read();
      ranges.push([first, last]);
      previousLast = last;
    }
    return ranges;
  }

  /** Unsigned LEB128, by arithmetic: row numbers go past 2^31 in the row contract. */
  #write(value: number): void {
    if (this.#length + 8 > this.#scratch.length) {
      const larger = new Uint8Array(this.#scratch.length * 2);
      larger.set(this.#scratch);
      this.#scratch = larger;
    }
    let rest = value;
    while (rest >= 0x80) {
      this.#scratch[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#scratch[this.#length++] = rest;
  }
}

/** Ranges as the report writes them: "12-40, 77, 90-91". */
export function rangesText(ranges: readonly RowRange[]): string {
  return ranges.map(rangeText).join(", ");
}

function rangeText([first, last]: RowRange): string {
  return first === last ? `${first}` : `${first}-${last}`;
}

/**
 * "12-40, 77, 90-91, …" in at most `width` characters (more for one range longer than that):
 * the first ranges that fit with "… N more ranges" after them, so the summary's line under a
 * dead chunk stays short however scattered its rows are.
 */
export function rangesPreview(text: string, width: number): string {
  if (text.length <= width) return text;
  const ranges = text.split(", ");
  const more = (count: number) => {
    const left = ranges.length - count;
    return `… ${left} more range${left === 1 ? "" : "s"}`;
  };
  let shown = ranges[0] as string;
  let count = 1;
  for (const range of ranges.slice(1)) {
    const next = `${shown}, ${range}`;
    if (`${next}, ${more(count + 1)}`.length > width) break;
    shown = next;
    count += 1;
  }
  return `${shown}, ${more(count)}`;
}
