import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { customers } from "../../src/db/schema";
import { rupeesToPaise } from "../../src/domain/money";
import { planCustomers } from "../../src/ingest/plan-customers";
import type { CustomerRow } from "../../src/ingest/rows";
import {
  CUSTOMER_ON_REINGEST,
  readCustomersForChunk,
  runAtomically,
  type Statement,
  upsertCustomers,
} from "../../src/ingest/store";
import type { LibsqlDatabase } from "../../src/node/database";
import { pairedLibsqlFiles } from "../support/paired-libsql";
import { propertyRuns } from "../support/property-seed";

/*
 * The customer upsert binds a chunk as one JSON text (`insert … select … from json_each(?)`); it
 * must leave the table as drizzle's builder with a VALUES list did, the code it replaced (the
 * reference below; the conflict clause is the same on both sides). Chunks are planned against
 * what is stored, as the consumer plans them, and applied to two real libSQL files, one each way.
 */

const files = pairedLibsqlFiles("customer-upsert-");

function builderStatements(db: Database, rows: readonly CustomerRow[]): Statement[] {
  if (rows.length === 0) return [];
  return [
    db
      .insert(customers)
      .values(
        rows.map((row) => ({
          id: row.customer_id,
          firstName: row.first_name,
          lastName: row.last_name,
          age: row.age,
          phoneNumber: row.phone_number,
          monthlySalaryPaise: rupeesToPaise(row.monthly_salary),
          approvedLimitPaise: rupeesToPaise(row.approved_limit),
        })),
      )
      .onConflictDoUpdate(CUSTOMER_ON_REINGEST),
  ];
}

const customerRow: fc.Arbitrary<CustomerRow> = fc.record({
  row: fc.integer({ min: 2, max: 1_000 }),
  // Few ids and phone numbers, so that chunks update stored customers and collide on phones.
  customer_id: fc.integer({ min: 1, max: 15 }),
  first_name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
  last_name: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }),
  age: fc.integer({ min: 18, max: 100 }),
  phone_number: fc.integer({ min: 6_000_000_000, max: 6_000_000_020 }),
  monthly_salary: fc.integer({ min: 0, max: 10_000_000_00 }).map((paise) => paise / 100),
  approved_limit: fc.integer({ min: 0, max: 10_000_000_00 }).map((paise) => paise / 100),
});

async function land(
  database: LibsqlDatabase,
  rows: CustomerRow[],
  write: (db: Database, rows: readonly CustomerRow[]) => Statement[],
) {
  const stored = await readCustomersForChunk(database.db, {
    job_id: "job",
    seq: 0,
    kind: "customers",
    rows,
  });
  const plan = planCustomers(rows, stored.customers);
  await runAtomically(database.db, write(database.db, plan.write));
}

async function stored(database: LibsqlDatabase) {
  const { rows } = await database.client.execute("select * from customers order by id");
  return rows.map(({ created_at: _created, ...rest }) => rest);
}

describe("upsertCustomers", () => {
  it("leaves the table as drizzle's builder with a VALUES list did", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(customerRow, { minLength: 1, maxLength: 20 }), { maxLength: 4 }),
        async (chunks) => {
          for (const database of [files.reference, files.candidate]) {
            await database.client.execute("delete from customers");
          }
          for (const rows of chunks) {
            await land(files.reference, rows, builderStatements);
            await land(files.candidate, rows, upsertCustomers);
          }
          expect(await stored(files.candidate)).toEqual(await stored(files.reference));
        },
      ),
      propertyRuns("json customer upsert", 60),
    );
  });
});
