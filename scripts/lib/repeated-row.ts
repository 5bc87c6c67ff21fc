import type { IngestField } from "./headers";

/**
 * A valid row repeating the key of an earlier row of its workbook: not sent, but rejected on the
 * column of `field` (duplicate-loan-ids.ts, duplicate-customer-ids.ts).
 */
export abstract class RepeatedRow {
  abstract readonly field: IngestField;

  constructor(
    readonly row: number,
    /** The earlier row with the same key: that one is sent. */
    readonly earlierRow: number,
  ) {}

  abstract get reason(): string;
}
