import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FirstRowTable } from "../../scripts/lib/first-row-table";
import { propertyRuns } from "../support/property-seed";

/** The table against a Map, the structure it replaces: same answers for every id asked. */
function checkAgainstMap(entries: readonly [number, number, number][]): void {
  const table = new FirstRowTable();
  const model = new Map<number, { row: number; customer: number }>();
  const wrong: unknown[] = [];
  const read = (id: number) => {
    const row = table.get(id);
    return row === undefined ? undefined : { row, customer: table.customerOf(id) };
  };
  for (const [id, row, customer] of entries) {
    if (!isDeepStrictEqual(read(id), model.get(id)))
      wrong.push({ id, got: read(id), want: model.get(id) });
    if (model.has(id)) continue;
    table.add(id, row, customer);
    model.set(id, { row, customer });
  }
  for (const [id, first] of model) {
    if (!isDeepStrictEqual(read(id), first)) wrong.push({ id, got: read(id), want: first });
  }
  expect(wrong.slice(0, 5)).toEqual([]);
  expect(table.size).toBe(model.size);
}

describe("FirstRowTable", () => {
  it("answers as a Map would, for small, huge and colliding ids, through its growth", () => {
    const id = fc.oneof(
      fc.integer({ min: 1, max: 3_000 }),
      fc.integer({ min: Number.MAX_SAFE_INTEGER - 3_000, max: Number.MAX_SAFE_INTEGER }),
      // Same low 32 bits, different high bits.
      fc.integer({ min: 1, max: 8 }).map((high) => high * 0x1_0000_0000 + 7),
    );
    const row = fc.integer({ min: 2, max: 1_048_576 });
    const customer = fc.oneof(
      fc.integer({ min: 1, max: 3_000 }),
      fc.integer({ min: 0xffff_fff0, max: 0x1_0000_0010 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(id, row, customer), { maxLength: 2_500 }), checkAgainstMap),
      propertyRuns("first-row table", 50),
    );
  });

  it("keeps 300,000 ids, and ids, rows or customers the arrays cannot hold, exactly", () => {
    const entries: [number, number, number][] = [];
    for (let i = 1; i <= 300_000; i += 1) entries.push([i * 7919, i + 1, (i % 5_000) + 1]);
    entries.push(
      [0, 5, 1],
      [-4, 6, 2],
      [1.5, 7, 3],
      [Number.MAX_SAFE_INTEGER + 2, 8, 4],
      [42, 2 ** 40, 5],
      [43, 9, 2 ** 40],
    );
    checkAgainstMap(entries);
  });
});
