import { ROWS_PER_CHUNK } from "../../src/ingest/messages";

/*
 * Regroups loan rows by customer before they are chunked. A workbook lists loans in any customer
 * order, so a chunk of 500 loans in file order has 500 customers spread over the whole
 * per-customer index: its commit rewrites about 500 index pages. Here the customer ids are cut
 * into ranges (buckets); a bucket's rows are handed on together once they fill a chunk, so each
 * chunk's loans share a 1/BUCKETS slice of the index (docs/performance.md#ingest-at-scale).
 * Rows keep their file order within a bucket; nothing is dropped, only the order changes.
 */

/**
 * Ranges of customer ids. At most BUCKETS × ROWS_PER_CHUNK rows are held at once. 20 was as
 * fast as 40 or faster in every pair measured, and faster than 80
 * (docs/performance.md#ingest-at-scale).
 */
export const CUSTOMER_BUCKETS = 20;

export class CustomerBuckets<Row extends { customer_id: number }> {
  readonly #buckets: Row[][];
  readonly #lowestId: number;
  /** Customer ids per bucket (not a whole number in general). */
  readonly #idsPerBucket: number;
  readonly #rowsPerBucket: number;

  /** `ids`: the lowest and highest customer id of the customers workbook. */
  constructor(
    ids: { lowest: number; highest: number },
    buckets = CUSTOMER_BUCKETS,
    rowsPerBucket = ROWS_PER_CHUNK,
  ) {
    this.#buckets = Array.from({ length: Math.max(1, buckets) }, () => []);
    this.#lowestId = ids.lowest;
    this.#idsPerBucket = Math.max(1, ids.highest - ids.lowest + 1) / this.#buckets.length;
    this.#rowsPerBucket = rowsPerBucket;
  }

  /** Holds `row`; returns its bucket's rows once the bucket fills a chunk. */
  add(row: Row): Row[] | null {
    const index = this.#bucketOf(row.customer_id);
    const bucket = this.#buckets[index] as Row[];
    bucket.push(row);
    if (bucket.length < this.#rowsPerBucket) return null;
    this.#buckets[index] = [];
    return bucket;
  }

  /** Every row still held, bucket by bucket (lowest customer ids first). */
  flush(): Row[] {
    const rest = this.#buckets.flat();
    for (let index = 0; index < this.#buckets.length; index += 1) this.#buckets[index] = [];
    return rest;
  }

  /** An id outside the workbook's (a customer stored before, or an unknown one) goes to an end. */
  #bucketOf(customerId: number): number {
    const index = Math.floor((customerId - this.#lowestId) / this.#idsPerBucket);
    return Math.min(this.#buckets.length - 1, Math.max(0, index));
  }
}
