import { asc, eq, getTableColumns, type Placeholder, sql } from "drizzle-orm";
import type { Database } from "./database";
import { customers, type LoanRecord, loans, NOW_ISO } from "./schema";

export function selectLoansOfCustomer(db: Database, customerId: number) {
  return db
    .select()
    .from(loans)
    .where(eq(loans.customerId, customerId))
    .orderBy(asc(loans.startDate), asc(loans.id));
}

/** The loans table's columns, in the order a loan's JSON array lists them (see loansOfCustomerAsJson). */
const LOAN_COLUMNS = Object.entries(getTableColumns(loans));

/**
 * All of a customer's loans as one JSON text: an array with one array per loan, its values in
 * LOAN_COLUMNS order. One value instead of one row per loan: the native libSQL driver spends
 * about 2 µs turning each row into JavaScript, SQLite far less building the text, and
 * `JSON.parse` less again reading it (docs/performance.md). D1 has the same JSON functions.
 */
function loansOfCustomerAsJson() {
  const values = sql.join(
    LOAN_COLUMNS.map(([, column]) => sql`l.${sql.identifier(column.name)}`),
    sql`, `,
  );
  return sql<string>`(SELECT json_group_array(json_array(${values})) FROM ${loans} AS l WHERE l.customer_id = ${customers}.${sql.identifier(customers.id.name)})`;
}

/** A customer with all their loans: one row, the loans as JSON text (see loansOfCustomerAsJson). */
export function selectBorrower(db: Database, customerId: number | Placeholder<"customerId">) {
  return db
    .select({ customer: customers, loans: loansOfCustomerAsJson() })
    .from(customers)
    .where(eq(customers.id, customerId));
}

/** The loans of loansOfCustomerAsJson's text as records, oldest first (then by id), as a select returns them. */
function loansFromJson(text: string): LoanRecord[] {
  const rows = JSON.parse(text) as unknown[][];
  const records = rows.map((values) => {
    const record: Record<string, unknown> = {};
    LOAN_COLUMNS.forEach(([key, column], index) => {
      const value = values[index] ?? null;
      record[key] = value === null ? null : column.mapFromDriverValue(value);
    });
    return record as LoanRecord;
  });
  return records.sort((a, b) =>
    a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : a.id - b.id,
  );
}

/**
 * A hot read's statement, built once per database object rather than per request (drizzle spends
 * more CPU building a select's SQL than SQLite spends running it). The Node server keeps one
 * database object, so it builds once; a Worker makes one per request, so nothing outlives it.
 */
function preparedOnce<T>(build: (db: Database) => T): (db: Database) => T {
  const built = new WeakMap<Database, T>();
  return (db) => {
    let prepared = built.get(db);
    if (prepared === undefined) {
      prepared = build(db);
      built.set(db, prepared);
    }
    return prepared;
  };
}

/** view-loans' and check-eligibility's one statement (a prepared query cannot join a batch). */
const preparedBorrower = preparedOnce((db) =>
  selectBorrower(db, sql.placeholder("customerId")).prepare(),
);

/** A customer and all their loans, in one statement. */
export async function loadBorrower(db: Database, customerId: number) {
  const [row] = await preparedBorrower(db).all({ customerId });
  if (row === undefined) return { customer: null, loans: [] };
  return { customer: row.customer, loans: loansFromJson(row.loans) };
}

export function selectLoanWithCustomer(db: Database, loanId: number | Placeholder<"loanId">) {
  return db
    .select({ loan: loans, customer: customers })
    .from(loans)
    .innerJoin(customers, eq(customers.id, loans.customerId))
    .where(eq(loans.id, loanId))
    .limit(1);
}

/** view-loan's one statement. */
const preparedLoanWithCustomer = preparedOnce((db) =>
  selectLoanWithCustomer(db, sql.placeholder("loanId")).prepare(),
);

/** One loan with its customer, in one statement. */
export async function loadLoanWithCustomer(db: Database, loanId: number) {
  const [row] = await preparedLoanWithCustomer(db).all({ loanId });
  return row ?? null;
}

export interface LoanToBook {
  customerId: number;
  loanAmountPaise: number;
  tenure: number;
  interestRateBp: number;
  monthlyPaymentPaise: number;
  startDate: string;
  endDate: string;
}

/**
 * Inserts the loan only if, at the moment of writing, the customer's current loans plus this one
 * stay within the approved limit and their EMIs within half the salary. The guard lives in the
 * statement itself, so two concurrent bookings can never together break either rule: the
 * database applies writes one at a time and the second sees the first. Returns the new id, or
 * nothing when the guard refused.
 */
export function insertLoanIfAffordable(db: Database, loan: LoanToBook) {
  const asOf = loan.startDate;
  // Current: within its dates and not repaid by the as-of date (a closed loan frees its room).
  const currentLoans = sql`FROM ${loans} AS l WHERE l.customer_id = c.id AND l.start_date <= ${asOf} AND l.end_date >= ${asOf} AND (l.closed_on IS NULL OR l.closed_on > ${asOf})`;
  // insert…select with raw SQL lists every column in schema order (id NULL: the database assigns
  // it); a query builder, unlike db.run(sql), can join a D1 batch.
  return db
    .insert(loans)
    .select(sql`
      SELECT NULL, c.id, NULL, ${loan.loanAmountPaise}, ${loan.tenure}, ${loan.interestRateBp},
             ${loan.monthlyPaymentPaise}, 0, ${loan.startDate}, ${loan.endDate}, ${NOW_ISO},
             0, 0, NULL, NULL, NULL, NULL
      FROM ${customers} AS c
      WHERE c.id = ${loan.customerId}
        AND (SELECT COALESCE(SUM(l.loan_amount_paise), 0) ${currentLoans}) + ${loan.loanAmountPaise} <= c.approved_limit_paise
        AND 2 * ((SELECT COALESCE(SUM(l.monthly_payment_paise), 0) ${currentLoans}) + ${loan.monthlyPaymentPaise}) <= c.monthly_salary_paise`)
    .returning({ id: loans.id });
}
