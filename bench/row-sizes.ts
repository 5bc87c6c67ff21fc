/**
 * `npx tsx bench/row-sizes.ts [--loans 10000 | --lender] [--requests 2000]`: what a customer, a
 * loan, a payment and a decision record cost on disk, for the capacity arithmetic of
 * docs/scaling.md. `--lender`: the lender's workbooks (2.6 loans per customer) instead.
 *
 * Generated workbooks (10 loans per customer) go through the real ingest path into a one-process
 * Node server on a scratch libSQL file; then create-loan for random customers (decision records,
 * booked and refused) and make-payment of the instalment due on random loans (payments). The
 * server stopped, SQLite's dbstat table gives the pages of each table and index: bytes per row
 * are those pages over the rows, B-tree slack included. Last, the SQLite engine's own time for a
 * request's statements on that file (no HTTP, no JSON): what a database that runs one query at a
 * time spends per request at the least.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "libsql";
import { generated, ingest, LENDER_DATA } from "./lib/ingest";
import { NODE_INGEST_TOKEN, startNodeServer, stopAll, stopAllOnSignals } from "./lib/processes";

const { values: args } = parseArgs({
  options: {
    loans: { type: "string", default: "10000" },
    requests: { type: "string", default: "2000" },
    lender: { type: "boolean", default: false },
  },
});
const scratch = await mkdtemp(join(tmpdir(), "credit-row-sizes-"));
stopAllOnSignals(() => rm(scratch, { recursive: true, force: true }));
const file = join(scratch, "sizes.db");

try {
  const set = args.lender ? LENDER_DATA : await generated(Number(args.loans), 3 * 60_000);
  const server = await startNodeServer(file, { WEB_CONCURRENCY: "1" });
  try {
    await ingest("node", server.url, NODE_INGEST_TOKEN, set, join(scratch, "ingest.json"), 6e5);
    const requests = Number(args.requests);
    const statuses = await inParallel(requests, 10, () => createLoan(server.url, set.customers));
    console.log(`create-loan × ${requests}: ${tally(statuses)}`);
    const paid = await inParallel(requests, 10, () => payDue(server.url, set.customers));
    console.log(`make-payment × ${requests}: ${tally(paid)}`);
  } finally {
    await server.stop();
  }
  report(file, (await stat(file)).size);
  engineTimes(file, set.customers);
} finally {
  await stopAll();
  await rm(scratch, { recursive: true, force: true });
}

function randomCustomer(customers: number): number {
  return 1 + Math.floor(Math.random() * customers);
}

async function createLoan(url: string, customers: number): Promise<number> {
  const response = await fetch(`${url}/create-loan`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      customer_id: randomCustomer(customers),
      loan_amount: 10_000 + 1_000 * Math.floor(Math.random() * 400),
      interest_rate: 14,
      tenure: 12,
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The instalment due on one of a random customer's open loans: a payment the API accepts. */
async function payDue(url: string, customers: number): Promise<number> {
  const customer = randomCustomer(customers);
  const loans = (await (await fetch(`${url}/view-loans/${customer}`)).json()) as {
    loan_id: number;
  }[];
  const loan = loans[Math.floor(Math.random() * loans.length)];
  if (!loan) return 0;
  const statement = (await (
    await fetch(`${url}/view-statement/${customer}/${loan.loan_id}`)
  ).json()) as {
    next_installment?: { amount_due: number } | null;
  };
  const due = statement.next_installment?.amount_due;
  if (due === undefined) return 409;
  const response = await fetch(`${url}/make-payment/${customer}/${loan.loan_id}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ amount: due }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function inParallel(total: number, width: number, task: () => Promise<number>) {
  const results: number[] = [];
  let started = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (started < total) {
      started += 1;
      results.push(await task());
    }
  });
  await Promise.all(lanes);
  return results;
}

function tally(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${status} × ${count}`).join(", ");
}

/** Each table with its indexes: rows, bytes on disk (dbstat pages), bytes per row. */
function report(databaseFile: string, fileBytes: number): void {
  const db = new Database(databaseFile, { readonly: true });
  const pages = db
    .prepare(
      "SELECT m.tbl_name AS owner, SUM(s.pgsize) AS bytes FROM dbstat s JOIN sqlite_schema m ON m.name = s.name GROUP BY m.tbl_name",
    )
    .all() as { owner: string; bytes: number }[];
  console.log(
    `\nfile ${fileBytes} bytes (page size ${(db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size})`,
  );
  console.log("| table (with its indexes) | rows | bytes | bytes per row |\n|---|---|---|---|");
  for (const { owner, bytes } of pages.sort((a, b) => b.bytes - a.bytes)) {
    if (owner.startsWith("sqlite_")) continue;
    const rows = (db.prepare(`SELECT COUNT(*) AS n FROM "${owner}"`).get() as { n: number }).n;
    const perRow = rows > 0 ? Math.round(bytes / rows) : "—";
    console.log(`| ${owner} | ${rows} | ${bytes} | ${perRow} |`);
  }
  const json = db
    .prepare(
      `SELECT AVG(LENGTH(r.inputs)) AS own,
         AVG((SELECT SUM(LENGTH(i.inputs)) FROM json_each(r.inputs, '$.parts') p
              JOIN decision_inputs i ON i.digest = p.value)) AS parts,
         AVG(LENGTH(reasons) + LENGTH(score_breakdown) + LENGTH(request)) AS other,
         (SELECT COUNT(*) FROM decision_inputs) AS copies, COUNT(*) AS records
       FROM decision_records r`,
    )
    .get() as { own: number; parts: number; other: number; copies: number; records: number };
  console.log(
    `decision records: inputs JSON ${Math.round(json.own)} bytes of their own (parts' keys, borrower) and ${Math.round(json.parts)} in the parts each reads, on average (${json.copies} parts stored for ${json.records} records), other JSON ${Math.round(json.other)}`,
  );
  db.close();
}

/**
 * Microseconds of engine time per request shape, on WAL and synchronous = NORMAL (the server's
 * DATABASE_SYNCHRONOUS=normal: no sync per commit, which the default full adds): a customer and their loans (the reads of view-loans and check-eligibility), a payment
 * (insert and loan update in one transaction), a decision record (a copy of an existing one, with
 * a copy of its first part under a new key: a loan no record has read in that state yet, as after
 * a booking or a payment, the dearer case).
 */
function engineTimes(databaseFile: string, customers: number): void {
  const db = new Database(databaseFile);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  const customer = db.prepare("SELECT * FROM customers WHERE id = ?");
  const loans = db.prepare("SELECT * FROM loans WHERE customer_id = ?");
  const read = time(20_000, () => {
    const id = randomCustomer(customers);
    customer.get(id);
    loans.all(id);
  });
  const payment = db.prepare(
    "INSERT INTO payments (loan_id, customer_id, period, paid_on, amount_paise, interest_paise, principal_paise, balance_after_paise, on_time) SELECT id, customer_id, 100000 + api_payments, '2025-06-15', 100, 50, 50, 0, 1 FROM loans WHERE id = ?",
  );
  const bump = db.prepare("UPDATE loans SET api_payments = api_payments + 1 WHERE id = ?");
  const loanCount = (db.prepare("SELECT MAX(id) AS n FROM loans").get() as { n: number }).n;
  const pay = time(5_000, () => {
    const loan = 1 + Math.floor(Math.random() * loanCount);
    db.exec("BEGIN IMMEDIATE");
    payment.run(loan);
    bump.run(loan);
    db.exec("COMMIT");
  });
  const columns =
    "customer_id, loan_id, created_at, as_of_date, model_version, idempotency_key, approved, credit_score, interest_rate_bp, monthly_instalment_paise, message, start_date, end_date, request, score_breakdown, reasons";
  const decision = db.prepare(
    `INSERT INTO decision_records (id, inputs, inputs_digest, ${columns}) SELECT ?, inputs, NULL, ${columns} FROM decision_records WHERE seq = ?`,
  );
  const inputs = db.prepare(
    "INSERT INTO decision_inputs (digest, inputs, records) SELECT ?, i.inputs, 1 FROM decision_records r JOIN decision_inputs i ON i.digest = r.inputs ->> '$.parts[0]' WHERE r.seq = ?",
  );
  const records = (db.prepare("SELECT MAX(seq) AS n FROM decision_records").get() as { n: number })
    .n;
  const decide = time(5_000, () => {
    const seq = 1 + Math.floor(Math.random() * records);
    const digest = crypto.randomUUID();
    db.exec("BEGIN IMMEDIATE");
    decision.run(crypto.randomUUID(), seq);
    inputs.run(digest, seq);
    db.exec("COMMIT");
  });
  console.log(
    `\nengine time per request: customer and loans ${read} µs, payment ${pay} µs, decision record ${decide} µs`,
  );
  db.close();
}

function time(times: number, work: () => void): number {
  const started = performance.now();
  for (let i = 0; i < times; i += 1) work();
  return Math.round(((performance.now() - started) * 1000) / times);
}
