import { sql } from "drizzle-orm";
import type { Database } from "./database";
import { type CustomerRecord, customers } from "./schema";

export interface NewCustomer {
  firstName: string;
  lastName: string;
  age: number;
  phoneNumber: number;
  monthlySalaryPaise: number;
  approvedLimitPaise: number;
}

/**
 * Inserts a customer unless the phone number is already on file (one statement, no race between
 * a check and the insert). Returns null on a duplicate phone number.
 */
export async function insertCustomer(
  db: Database,
  customer: NewCustomer,
): Promise<CustomerRecord | null> {
  const [row] = await db
    .insert(customers)
    .values(customer)
    .onConflictDoNothing({ target: customers.phoneNumber })
    .returning();
  return row ?? null;
}

export function selectCustomer(db: Database, customerId: number) {
  return db.select().from(customers).where(sql`${customers.id} = ${customerId}`).limit(1);
}
