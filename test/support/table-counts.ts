import { backend } from "./backend";

/*
 * Row counts read straight from the database, on either backend: what a request stored (or, for
 * a rejected one, did not store) as the tables say, not as the response claims.
 */

export interface TableCounts {
  customers: number;
  loans: number;
  idempotency_keys: number;
  payments: number;
  decision_records: number;
  decision_inputs: number;
  /** The records the stored inputs count as reading them: a copy shared by one more changes it. */
  decision_inputs_read: number;
}

/** Every table a request can write to, counted in one statement. */
export async function tableCounts(): Promise<TableCounts> {
  const [row] = await backend().query<TableCounts>(
    `SELECT (SELECT COUNT(*) FROM customers) AS customers, (SELECT COUNT(*) FROM loans) AS loans,
      (SELECT COUNT(*) FROM idempotency_keys) AS idempotency_keys,
      (SELECT COUNT(*) FROM payments) AS payments,
      (SELECT COUNT(*) FROM decision_records) AS decision_records,
      (SELECT COUNT(*) FROM decision_inputs) AS decision_inputs,
      (SELECT COALESCE(SUM(records), 0) FROM decision_inputs) AS decision_inputs_read`,
  );
  if (!row) throw new Error("COUNT(*) returned no row");
  return row;
}

async function countOfCustomer(table: "loans" | "decision_records", customerId: number) {
  const [row] = await backend().query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM ${table} WHERE customer_id = ?`,
    [customerId],
  );
  return row?.n ?? 0;
}

export function countLoans(customerId: number): Promise<number> {
  return countOfCustomer("loans", customerId);
}

export function countDecisions(customerId: number): Promise<number> {
  return countOfCustomer("decision_records", customerId);
}
