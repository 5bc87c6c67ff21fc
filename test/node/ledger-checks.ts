/*
 * What a database must hold after a burst of writes that processes died under (write-burst.ts),
 * read with a connection of the test's own: each check returns what it found wrong, one line each,
 * so that a failure names every request and row at fault at once.
 *
 * A request's outcome is one of three: acknowledged (2xx, or create-loan's 200 refusal, whose
 * decision record is written), refused (any other answer: nothing done), or unknown (no answer,
 * or a 503 saying the write may or may not have been done). An acknowledged request's effect is
 * there exactly once, with the values it was answered; a refused one left nothing; an unknown one
 * left its effect whole or not at all; and no row is there that no request accounts for.
 */
import { type Answer, call } from "./cluster-process";
import { selectFromFile as select } from "./file-rows";
import type { Operation, Sent } from "./write-burst";

type Row = Record<string, unknown>;

/** A request with the answer that counts: the retry's, for a keyed request sent again. */
export interface Outcome extends Sent {
  final: Answer | Error;
}

type Kind = "acknowledged" | "refused" | "unknown";

export function kindOf({ operation, final }: Outcome): Kind {
  if (final instanceof Error) return "unknown";
  if (final.status === 201) return "acknowledged";
  if (operation === "create-loan" && final.status === 200) return "acknowledged";
  if (final.status === 503 && /may or may not/.test(String(final.body.detail))) return "unknown";
  return "refused";
}

const paise = (rupees: unknown) => Math.round(Number(rupees) * 100);

/** `expected` field by field against the row: one line per difference. */
function differences(what: string, row: Row, expected: Row): string[] {
  return Object.entries(expected).flatMap(([column, value]) =>
    row[column] === value ? [] : [`${what}: ${column} is ${row[column]}, answered ${value}`],
  );
}

/**
 * The rows of one kind against the requests of one operation: each acknowledged request finds
 * its row by id (`idOf`), with the values `expectedOf` gives; every other row must be the effect
 * of a distinct request of unknown outcome with the same `matchOf` (a refused request's effect,
 * or a second one of an acknowledged request, finds none).
 */
function account(
  operation: Operation,
  outcomes: Outcome[],
  rows: Row[],
  key: {
    idOf: (answer: Answer) => unknown;
    expectedOf: (outcome: Outcome, answer: Answer) => Row;
    matchOf: (row: Row) => string;
    sentMatch: (outcome: Outcome) => string;
  },
): string[] {
  const wrong: string[] = [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  const claimed = new Set<unknown>();
  const mine = outcomes.filter((outcome) => outcome.operation === operation);
  for (const outcome of mine.filter((o) => kindOf(o) === "acknowledged")) {
    const answer = outcome.final as Answer;
    if (operation === "create-loan" && answer.status === 200) continue; // no loan row
    const id = key.idOf(answer);
    const what = `${operation} ${outcome.path} ${JSON.stringify(outcome.body)} → ${id}`;
    const row = byId.get(id);
    if (!row) wrong.push(`${what}: acknowledged, not stored`);
    else if (claimed.has(id))
      wrong.push(`${what}: its row was acknowledged to another request too`);
    else wrong.push(...differences(what, row, key.expectedOf(outcome, answer)));
    claimed.add(id);
  }
  const unknown = new Map<string, number>();
  for (const outcome of mine.filter((o) => kindOf(o) === "unknown")) {
    const match = key.sentMatch(outcome);
    unknown.set(match, (unknown.get(match) ?? 0) + 1);
  }
  for (const row of rows.filter((r) => !claimed.has(r.id))) {
    const match = key.matchOf(row);
    const left = unknown.get(match) ?? 0;
    if (left === 0)
      wrong.push(`${operation} row ${JSON.stringify(row)}: no request accounts for it`);
    else unknown.set(match, left - 1);
  }
  return wrong;
}

export async function accountForRows(database: string, outcomes: Outcome[]): Promise<string[]> {
  const phones = new Set(
    outcomes.filter((o) => o.operation === "register").map((o) => String(o.body.phone_number)),
  );
  const customers = (await select(database, "SELECT * FROM customers")).filter((row) =>
    phones.has(String(row.phone_number)),
  );
  const loans = await select(database, "SELECT * FROM loans WHERE source_loan_id IS NULL");
  const payments = await select(database, "SELECT * FROM payments");
  return [
    ...account("register", outcomes, customers, {
      idOf: (answer) => answer.body.customer_id,
      expectedOf: ({ body }, answer) => ({
        phone_number: Number(body.phone_number),
        first_name: body.first_name,
        monthly_salary_paise: paise(body.monthly_income),
        approved_limit_paise: paise(answer.body.approved_limit),
      }),
      matchOf: (row) => String(row.phone_number),
      sentMatch: ({ body }) => String(body.phone_number),
    }),
    ...account("create-loan", outcomes, loans, {
      idOf: (answer) => answer.body.loan_id,
      expectedOf: ({ body }, answer) => ({
        customer_id: body.customer_id,
        loan_amount_paise: paise(body.loan_amount),
        tenure: body.tenure,
        interest_rate_bp: paise(answer.body.interest_rate),
      }),
      matchOf: (row) => `${row.customer_id}/${row.loan_amount_paise}`,
      sentMatch: ({ body }) => `${body.customer_id}/${paise(body.loan_amount)}`,
    }),
    ...account("make-payment", outcomes, payments, {
      idOf: (answer) => answer.body.payment_id,
      expectedOf: ({ body }, answer) => ({
        loan_id: answer.body.loan_id,
        amount_paise: paise(body.amount),
        interest_paise: paise(answer.body.interest_paid),
        principal_paise: paise(answer.body.principal_paid),
        balance_after_paise: paise(answer.body.balance_after),
        period: answer.body.period,
      }),
      matchOf: (row) => `${row.loan_id}/${row.amount_paise}`,
      sentMatch: ({ path, body }) => `${path.split("/").at(-1)}/${paise(body.amount)}`,
    }),
  ];
}

/**
 * Each acknowledged create-loan's decision record, as answered: the booking's (with its loan) or
 * the refusal's (with none).
 */
export async function accountForDecisions(
  database: string,
  outcomes: Outcome[],
): Promise<string[]> {
  const records = new Map(
    (await select(database, "SELECT * FROM decision_records")).map((row) => [row.id, row]),
  );
  const wrong: string[] = [];
  // One record at most per request (each booking's amount is its own), none for a refused one.
  const byAmount = new Map(
    outcomes
      .filter((o) => o.operation === "create-loan")
      .map((o) => [paise(o.body.loan_amount), o]),
  );
  for (const [amount, count] of await amountsDecided(database)) {
    const outcome = byAmount.get(amount);
    if (!outcome) continue; // the set-up's
    if (count > 1) wrong.push(`create-loan ${JSON.stringify(outcome.body)}: ${count} records`);
    if (kindOf(outcome) === "refused") {
      wrong.push(`create-loan ${JSON.stringify(outcome.body)}: refused, recorded`);
    }
  }
  return outcomes
    .filter((o) => o.operation === "create-loan" && kindOf(o) === "acknowledged")
    .flatMap((outcome) => {
      const answer = outcome.final as Answer;
      const what = `create-loan ${JSON.stringify(outcome.body)} → decision ${answer.body.decision_id}`;
      const record = records.get(answer.body.decision_id);
      if (!record) return [`${what}: acknowledged, no record`];
      return differences(what, record, {
        approved: answer.status === 201 ? 1 : 0,
        loan_id: answer.body.loan_id ?? null,
        monthly_instalment_paise: paise(answer.body.monthly_installment),
        idempotency_key: outcome.key ?? null,
      });
    })
    .concat(wrong);
}

async function amountsDecided(database: string): Promise<Map<number, number>> {
  const rows = await select(
    database,
    "SELECT json_extract(request, '$.loanAmountPaise') AS amount, count(*) AS records FROM decision_records GROUP BY 1",
  );
  return new Map(rows.map((row) => [Number(row.amount), Number(row.records)]));
}

/** Lines of rows that `sql` finds, each a half-done write or a broken rule. */
async function found(database: string, what: string, sql: string): Promise<string[]> {
  return (await select(database, sql)).map((row) => `${what}: ${JSON.stringify(row)}`);
}

/** Nothing half-done, whoever wrote it: each part of a write is there with the others. */
export async function halfDoneWrites(database: string): Promise<string[]> {
  return [
    ...(await found(
      database,
      "a booked loan without exactly one approving decision record",
      `SELECT l.id, count(d.seq) AS records FROM loans l
         LEFT JOIN decision_records d ON d.loan_id = l.id AND d.approved = 1
        WHERE l.source_loan_id IS NULL GROUP BY l.id HAVING records != 1`,
    )),
    ...(await found(
      database,
      "an approving decision record without its loan",
      `SELECT d.id, d.loan_id FROM decision_records d LEFT JOIN loans l ON l.id = d.loan_id
        WHERE d.approved = 1 AND l.id IS NULL`,
    )),
    ...(await found(
      database,
      "a loan whose state is not its ledger's",
      `SELECT l.id, l.api_payments, l.outstanding_principal_paise, l.periods_settled,
              count(p.id) AS paid, max(p.period) AS last_period,
              (SELECT balance_after_paise FROM payments WHERE loan_id = l.id ORDER BY period DESC LIMIT 1) AS balance
         FROM loans l LEFT JOIN payments p ON p.loan_id = l.id
        WHERE l.source_loan_id IS NULL GROUP BY l.id
       HAVING l.api_payments != paid
           OR (paid > 0 AND (l.outstanding_principal_paise != balance OR l.periods_settled != last_period))`,
    )),
    ...(await found(
      database,
      "a payment out of its ledger's chain (amount = interest + principal, balance falls by the principal)",
      `SELECT p.id, p.loan_id, p.period FROM payments p JOIN loans l ON l.id = p.loan_id
        WHERE p.amount_paise != p.interest_paise + p.principal_paise
           OR p.balance_after_paise != COALESCE(
                (SELECT q.balance_after_paise FROM payments q WHERE q.loan_id = p.loan_id AND q.period = p.period - 1),
                CASE WHEN p.period = 1 THEN l.loan_amount_paise END) - p.principal_paise`,
    )),
    ...(await found(
      database,
      "a stored answer without its effect",
      `SELECT k.key, k.response_status FROM idempotency_keys k
        WHERE (k.key LIKE 'chaos-create-loan-%' AND NOT EXISTS (SELECT 1 FROM decision_records d
                 WHERE d.idempotency_key = k.key AND d.loan_id IS k.loan_id
                   AND d.approved = (k.response_status = 201)))
           OR (k.key LIKE 'chaos-make-payment-%' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.idempotency_key = k.key))
           OR (k.key LIKE 'chaos-register-%' AND NOT EXISTS (SELECT 1 FROM customers c
                 WHERE c.id = json_extract(k.response_body, '$.customer_id')))`,
    )),
    ...(await found(
      database,
      "an effect of a keyed request without its stored answer",
      `SELECT 'payment' AS what, p.id, p.idempotency_key FROM payments p
        WHERE p.idempotency_key IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.key = p.idempotency_key)
       UNION ALL
       SELECT 'decision', d.id, d.idempotency_key FROM decision_records d
        WHERE d.idempotency_key IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.key = d.idempotency_key)`,
    )),
  ];
}

/** The contract's two rules over the loans stored, as of `asOf`: nothing ever went past them. */
export function brokenLimits(database: string, asOf: string): Promise<string[]> {
  const current = `l.customer_id = c.id AND l.start_date <= '${asOf}' AND l.end_date >= '${asOf}' AND l.closed_on IS NULL`;
  return found(
    database,
    "a customer past the approved limit or half the salary",
    `SELECT c.id, c.approved_limit_paise, c.monthly_salary_paise,
            (SELECT COALESCE(sum(l.loan_amount_paise), 0) FROM loans l WHERE ${current}) AS lent,
            (SELECT COALESCE(sum(l.monthly_payment_paise), 0) FROM loans l WHERE ${current}) AS emis
       FROM customers c
      WHERE lent > c.approved_limit_paise OR 2 * emis > c.monthly_salary_paise`,
  );
}

/**
 * Every paid loan's statement through the API against its ledger: the sums it shows are the
 * payments stored, and principal paid plus outstanding is the loan.
 */
export async function unreconciledStatements(url: string, database: string): Promise<string[]> {
  const paid = await select(
    database,
    `SELECT l.id, l.customer_id, l.loan_amount_paise, count(p.id) AS payments,
            sum(p.amount_paise) AS amount, sum(p.principal_paise) AS principal,
            sum(p.interest_paise) AS interest
       FROM loans l JOIN payments p ON p.loan_id = l.id GROUP BY l.id`,
  );
  const wrong: string[] = [];
  for (const loan of paid) {
    const { status, body } = await call(url, `/view-statement/${loan.customer_id}/${loan.id}`);
    const what = `statement of loan ${loan.id}`;
    if (status !== 200) {
      wrong.push(`${what}: ${status}`);
      continue;
    }
    const listed = (body.payments as Row[]).filter((payment) => payment.source === "api");
    wrong.push(
      ...differences(
        what,
        {
          amount_paid: paise(body.amount_paid),
          principal_paid: paise(body.principal_paid),
          interest_paid: paise(body.interest_paid),
          outstanding_principal: paise(body.outstanding_principal),
          payments: listed.length,
        },
        {
          amount_paid: loan.amount,
          principal_paid: loan.principal,
          interest_paid: loan.interest,
          outstanding_principal: Number(loan.loan_amount_paise) - Number(loan.principal),
          payments: loan.payments,
        },
      ),
    );
  }
  return wrong;
}
