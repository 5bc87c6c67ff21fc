import type { CustomerRow } from "./rows";

/*
 * Pure: decides, for a chunk of customer rows and what the database already holds, which rows
 * are written (inserted or updated in place) and which are refused. The workbook's customer id is
 * the key; a row that would take over another person's id or phone number is refused, never
 * merged, so nothing already stored is overwritten by a different customer.
 * A later row with the customer id of an earlier row of the chunk is refused, as the script refuses
 * it: both would be written in one commit, the later silently winning, while both counted as landed.
 */

export interface ExistingCustomer {
  id: number;
  phoneNumber: number;
}

export interface Rejection {
  row: number;
  column: string | null;
  reason: string;
  /**
   * The row's customer, when the reason is about it: a loan's UNKNOWN_CUSTOMER, or a customer row
   * refused as another person's (its Customer ID or phone number is stored for someone else): the
   * script then refuses that row's loans.
   */
  customerId?: number;
}

export interface CustomerPlan {
  write: CustomerRow[];
  rejections: Rejection[];
}

/** Why a row repeating an earlier row's customer id is refused (script and consumer). */
export function repeatedCustomerReason(customerId: number, earlierRow: number): string {
  return `repeats Customer ID ${customerId} from row ${earlierRow}: a customer has one row, so only row ${earlierRow} is ingested`;
}

export function planCustomers(
  rows: readonly CustomerRow[],
  existing: readonly ExistingCustomer[],
): CustomerPlan {
  const phoneById = new Map(existing.map((customer) => [customer.id, customer.phoneNumber]));
  const idByPhone = new Map(existing.map((customer) => [customer.phoneNumber, customer.id]));
  const write: CustomerRow[] = [];
  const rejections: Rejection[] = [];
  const firstRowOf = new Map<number, number>();

  for (const row of rows) {
    const earlierRow = firstRowOf.get(row.customer_id);
    if (earlierRow !== undefined) {
      const reason = repeatedCustomerReason(row.customer_id, earlierRow);
      rejections.push({ row: row.row, column: "customer_id", reason });
      continue;
    }
    firstRowOf.set(row.customer_id, row.row);
    const storedPhone = phoneById.get(row.customer_id);
    const phoneOwner = idByPhone.get(row.phone_number);
    if (storedPhone !== undefined && storedPhone !== row.phone_number) {
      rejections.push({
        row: row.row,
        column: "customer_id",
        reason: `customer ${row.customer_id} already exists with another phone number`,
        customerId: row.customer_id,
      });
    } else if (phoneOwner !== undefined && phoneOwner !== row.customer_id) {
      rejections.push({
        row: row.row,
        column: "phone_number",
        reason: `phone number already belongs to customer ${phoneOwner}`,
        customerId: row.customer_id,
      });
    } else {
      write.push(row);
      // Later rows of the same chunk must see this one.
      phoneById.set(row.customer_id, row.phone_number);
      idByPhone.set(row.phone_number, row.customer_id);
    }
  }
  return { write, rejections };
}
