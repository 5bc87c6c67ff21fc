import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CustomerBuckets } from "../../scripts/lib/customer-buckets";

interface Row {
  customer_id: number;
  /** Position in the input, to check order and that nothing is lost or repeated. */
  at: number;
}

/** Feeds every row in; returns the full buckets handed back on the way, then the flush. */
function regroup(rows: Row[], ids: Ids, buckets: number, rowsPerBucket: number) {
  const grouping = new CustomerBuckets<Row>(ids, buckets, rowsPerBucket);
  const full: Row[][] = [];
  let mostHeld = 0;
  let held = 0;
  for (const row of rows) {
    held += 1;
    const ready = grouping.add(row);
    if (ready) {
      full.push(ready);
      held -= ready.length;
    }
    mostHeld = Math.max(mostHeld, held);
  }
  return { full, rest: grouping.flush(), mostHeld };
}

type Ids = { lowest: number; highest: number };

/** The bucket a row belongs to, written out independently of the class: equal ranges of ids. */
function bucketOf(customerId: number, { lowest, highest }: Ids, buckets: number): number {
  const idsPerBucket = Math.max(1, highest - lowest + 1) / buckets;
  return Math.min(buckets - 1, Math.max(0, Math.floor((customerId - lowest) / idsPerBucket)));
}

const cases = fc
  .record({
    lowest: fc.integer({ min: 1, max: 100_000 }),
    span: fc.integer({ min: 0, max: 5_000 }),
    buckets: fc.integer({ min: 1, max: 12 }),
    rowsPerBucket: fc.integer({ min: 1, max: 30 }),
  })
  .chain((setting) =>
    fc.record({
      ...Object.fromEntries(Object.entries(setting).map(([k, value]) => [k, fc.constant(value)])),
      // Mostly known customers, some unknown ones on either side of the range.
      ids: fc.array(
        fc.oneof(
          {
            weight: 9,
            arbitrary: fc.integer({ min: setting.lowest, max: setting.lowest + setting.span }),
          },
          {
            weight: 1,
            arbitrary: fc.integer({
              min: setting.lowest - 50,
              max: setting.lowest + setting.span + 50,
            }),
          },
        ),
        { maxLength: 400 },
      ),
    }),
  ) as fc.Arbitrary<{
  lowest: number;
  span: number;
  buckets: number;
  rowsPerBucket: number;
  ids: number[];
}>;

describe("customer buckets", () => {
  it("hands every row on exactly once, in file order within its bucket, holding a bounded number", () => {
    fc.assert(
      fc.property(cases, ({ lowest, span, buckets, rowsPerBucket, ids }) => {
        const range = { lowest, highest: lowest + span };
        const rows = ids.map((customer_id, at) => ({ customer_id, at }));
        const { full, rest, mostHeld } = regroup(rows, range, buckets, rowsPerBucket);

        const out = [...full.flat(), ...rest];
        expect(out.map((row) => row.at).sort((a, b) => a - b)).toEqual(rows.map((row) => row.at));
        expect(mostHeld).toBeLessThanOrEqual(buckets * rowsPerBucket);

        for (const group of full) {
          // A full bucket: one chunk's worth, from one range of customers, in file order.
          expect(group).toHaveLength(rowsPerBucket);
          const bucket = bucketOf(group[0]?.customer_id ?? 0, range, buckets);
          for (const row of group) expect(bucketOf(row.customer_id, range, buckets)).toBe(bucket);
          expect(group.map((row) => row.at)).toEqual(
            [...group.map((row) => row.at)].sort((a, b) => a - b),
          );
        }
        // What is left comes out bucket by bucket, lowest customers first, file order within.
        const order = rest.map((row) => [bucketOf(row.customer_id, range, buckets), row.at]);
        expect(order).toEqual(
          [...order].sort(([b1 = 0, a1 = 0], [b2 = 0, a2 = 0]) => b1 - b2 || a1 - a2),
        );
      }),
    );
  });

  it("gives each full chunk a narrow slice of the customers", () => {
    // 40 buckets over 100,000 customers: a chunk's loans span at most 2,500 consecutive ids,
    // where 500 loans in file order span nearly all of them.
    const highestId = 100_000;
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const rows = Array.from({ length: 60_000 }, (_, at) => ({
      customer_id: 1 + Math.floor(random() * highestId),
      at,
    }));
    const { full } = regroup(rows, { lowest: 1, highest: highestId }, 40, 500);
    expect(full.length).toBeGreaterThan(60);
    for (const group of full) {
      const ids = group.map((row) => row.customer_id);
      expect(Math.max(...ids) - Math.min(...ids)).toBeLessThan(highestId / 40);
    }
    const fileOrder = rows.slice(0, 500).map((row) => row.customer_id);
    expect(Math.max(...fileOrder) - Math.min(...fileOrder)).toBeGreaterThan(highestId * 0.9);
  });
});
