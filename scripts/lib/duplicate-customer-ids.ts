/*
 * docs/ingestion.md#customer-ids: a customer is one row of the customers workbook. A later row with
 * an earlier row's Customer ID used to be sent too: in one chunk both were written in one commit,
 * the later one silently winning, while both counted as landed. It is refused instead
 * (`RepeatedCustomer`), to be reported; the earlier row is sent. File order alone decides.
 */
import { repeatedCustomerReason } from "../../src/ingest/plan-customers";
import type { CustomerRow } from "../../src/ingest/rows";
import { FirstRowTable } from "./first-row-table";
import { RepeatedRow } from "./repeated-row";

/** A row repeating the Customer ID of an earlier row. */
export class RepeatedCustomer extends RepeatedRow {
  readonly field = "customer_id";

  constructor(
    row: number,
    readonly customerId: number,
    earlierRow: number,
  ) {
    super(row, earlierRow);
  }

  get reason(): string {
    return repeatedCustomerReason(this.customerId, this.earlierRow);
  }
}

/**
 * Finds repeats one row at a time, for a reader that streams rows and cannot hold the file. Each
 * distinct Customer ID's first row sits in the loans' off-heap table (first-row-table.ts, the id
 * as its own customer): 16 bytes a slot at most half full, about 4 MB for 100 k customers.
 */
export class DuplicateCustomerIdMarker {
  readonly #firstRowByCustomerId = new FirstRowTable();

  /** Returns the row unchanged, or a `RepeatedCustomer` if an earlier row had its Customer ID. */
  mark(customer: CustomerRow): CustomerRow | RepeatedCustomer {
    const earlierRow = this.#firstRowByCustomerId.get(customer.customer_id);
    if (earlierRow !== undefined) {
      return new RepeatedCustomer(customer.row, customer.customer_id, earlierRow);
    }
    this.#firstRowByCustomerId.add(customer.customer_id, customer.row, customer.customer_id);
    return customer;
  }
}
