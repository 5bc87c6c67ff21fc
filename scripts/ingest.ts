/**
 * `npm run ingest -- [--url URL] [--token T] [--customers FILE] [--loans FILE] [--report FILE]
 *   [--resend-dead REPORT]`
 *
 * Reads the lender's workbooks and sends their rows through the Worker's ingest endpoint and queue.
 * The URL defaults to the local `npm start` Worker; the token is the one the server runs with
 * (INGEST_TOKEN or --token): there is no default token, since a published one would open ingest.
 * Exit code: 0 when every row landed, 2 when rows were rejected or dead, 1 on a fatal error, 130
 * when interrupted (Ctrl-C, SIGTERM, or SIGHUP when its terminal closes).
 * The JSON report (--report, or ingest-report-<job id>.json) is written in every case.
 * --resend-dead REPORT sends only the rows of an earlier run's dead chunks, as its report names
 * them, from that run's workbooks (their SHA-256 must be the report's:
 * docs/ingestion.md#a-dead-chunks-rows); exit code 0 then when every one of them landed.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { maskPersonalData } from "../src/lib/log";
import { rangesPreview } from "./lib/chunk-rows";
import { argsOrExit, callerPath, callerPathOr } from "./lib/command-line";
import { type DeadRows, DeadRowsError, deadRowsOf } from "./lib/dead-rows";
import { type IngestReport, ReportFileError } from "./lib/ingest-report";
import { newJobId, runIngest } from "./lib/ingest-run";
import { WorkbookError } from "./lib/read-workbook";

export const LOCAL_URL = "http://127.0.0.1:8787";
/** The shell's code for a run stopped by Ctrl-C (128 + SIGINT). */
const INTERRUPTED = 130;
const USAGE =
  "usage: npm run ingest -- [--url URL] [--token TOKEN] [--customers FILE] [--loans FILE] [--report FILE] [--resend-dead REPORT]";

async function main(): Promise<number> {
  const { values } = argsOrExit(
    {
      options: {
        // Blank is unset for both (`INGEST_URL=` in an env file): "" was taken as the address.
        url: { type: "string", default: process.env.INGEST_URL || LOCAL_URL },
        token: { type: "string", default: process.env.INGEST_TOKEN || undefined },
        customers: { type: "string" },
        loans: { type: "string" },
        report: { type: "string" },
        "resend-dead": { type: "string" },
        help: { type: "boolean", default: false },
      },
    },
    "ingest failed: ",
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  // Without its pair, a named workbook went with the project's sample one: --customers alone sent
  // the 782 sample loans too, onto whichever stored customers 1-300 were.
  if ((values.customers === undefined) !== (values.loans === undefined)) {
    const [given, missing] =
      values.customers === undefined ? ["--loans", "--customers"] : ["--customers", "--loans"];
    console.error(
      `ingest failed: ${given} was given without ${missing}: name both workbooks, or neither for the project's sample data/ workbooks`,
    );
    return 1;
  }
  if (!values.token) {
    console.error(
      "ingest failed: no token. Set INGEST_TOKEN (or --token) to the server's INGEST_TOKEN; see docs/ingestion.md.",
    );
    return 1;
  }
  const customersFile = callerPathOr(values.customers, "data/customer_data.xlsx");
  const loansFile = callerPathOr(values.loans, "data/loan_data.xlsx");
  let resendDead: DeadRows | undefined;
  if (values["resend-dead"] !== undefined) {
    try {
      resendDead = await deadRowsOf(callerPath(values["resend-dead"]), {
        customers: customersFile,
        loans: loansFile,
      });
    } catch (error) {
      if (!(error instanceof DeadRowsError)) throw error;
      console.error(`ingest failed: ${error.message}`);
      return 1;
    }
    if (resendDead.customers.size + resendDead.loans.size === 0) {
      console.log(`no dead chunks in ${resendDead.report}: nothing to send again`);
      return 0;
    }
  }
  const jobId = newJobId();
  // The files the operator names are theirs; the defaults are the project's.
  const reportFile = callerPathOr(values.report, `ingest-report-${jobId}.json`);
  // Ctrl-C ends the run like any failure, report included; a second one kills it outright. So
  // does a closed terminal (SIGHUP: an SSH session dropped), which ended it with no report.
  const interrupt = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () =>
      interrupt.abort(
        new Error(
          `interrupted (${signal}): chunks already sent still land; run again to send the rest (nothing is duplicated)`,
        ),
      ),
    );
  }
  try {
    const report = await runIngest({
      url: values.url,
      token: values.token,
      customersFile,
      loansFile,
      reportFile,
      jobId,
      signal: interrupt.signal,
      resendDead,
    });
    printSummary(report, reportFile);
    await closeWorkbooks(resendDead);
    return report.complete ? 0 : 2;
  } catch (error) {
    const message =
      error instanceof WorkbookError || error instanceof Error ? error.message : String(error);
    // No report could be written when its path was the problem: do not name it as written.
    console.error(
      error instanceof ReportFileError
        ? `ingest failed: ${message}`
        : `ingest failed: ${message}\n  report ${reportFile}`,
    );
    if (interrupt.signal.aborted) return INTERRUPTED;
    await closeWorkbooks(resendDead);
    return 1;
  }
}

/**
 * The workbooks `--resend-dead` hashed, and the run read, through one open handle each; not after
 * an interruption, when reads may still be going on behind (the process exits at once).
 */
async function closeWorkbooks(dead: DeadRows | undefined): Promise<void> {
  await Promise.all(Object.values(dead?.files ?? {}).map((file) => file.close()));
}

/**
 * How many later duplicates landed under a new id. A row marked as one that did not land (its
 * customer unknown, its chunk dead) has no new id: counted apart, as it is not in the database.
 */
function remappedLines({ remapped_loans: remapped, server_not_listed }: IngestReport): string[] {
  const landed = remapped.filter((loan) => loan.loan_id !== null).length;
  const notLanded = remapped.length - landed;
  // Past the server's list, a duplicate's new id is not known here, landed or not.
  const what = server_not_listed?.remapped_loans
    ? "without a new id in the report (rejected, dead, or past the server's list)"
    : "that did not land (rejected or dead: see the report)";
  // No row of the file had the Loan ID: a stored loan of another customer does.
  const held = remapped.filter((loan) => loan.first_row === null);
  const heldLanded = held.filter((loan) => loan.loan_id !== null).length;
  // Such a row the server deferred that was not sent again or did not land (the run stopped).
  const heldNotLanded = held.length - heldLanded;
  const duplicatesNotLanded = notLanded - heldNotLanded;
  return [
    `  remapped loan ids: ${landed}`,
    ...(heldLanded > 0
      ? [
          `  … ${heldLanded} of them because a stored loan of another customer has its Loan ID (first_row null in the report)`,
        ]
      : []),
    ...(duplicatesNotLanded > 0 ? [`  … and ${duplicatesNotLanded} later duplicates ${what}`] : []),
    ...(heldNotLanded > 0
      ? [
          `  … and ${heldNotLanded} loans whose Loan ID a stored loan of another customer has, deferred by the server and not landed (see the report)`,
        ]
      : []),
  ];
}

/** The server's report lists only the first of its rejections and remapped loans: say what it left out. */
function notListedLines({ server_not_listed: cut }: IngestReport): string[] {
  if (!cut) return [];
  return [
    `  not listed by the server (its report lists only the first): ${cut.rejections} rejections and ${cut.remapped_loans} remapped loans, counted above`,
  ];
}

/**
 * Another worksheet with the file's columns and rows under them: only the first is read, and the
 * run would otherwise say every row landed while those rows were never sent.
 */
function sheetsNotReadLines(report: IngestReport): string[] {
  return [report.customers, report.loans].flatMap((file) =>
    (file.sheets_not_read ?? []).map(
      (sheet) =>
        `  not read: ${file.file} worksheet "${sheet.name}" has the same columns and ${sheet.rows} row${sheet.rows === 1 ? "" : "s"} under them; only the first worksheet is ingested: move those rows into it`,
    ),
  );
}

/**
 * The numbers a reason names that are not a cell's value, kept whole: a row number, a rule's
 * limit ("must be at most 1000000000"), and the ids it is about (`customer 12345678`, `Customer
 * ID …`, `Loan ID …`, `loan …`). Ingestion takes ids up to 2^53 − 1: one of 7 digits or more was
 * masked as a phone number ("UNKNOWN_CUSTOMER (customer *********01)").
 */
const NOT_CELL_NUMBERS =
  /\b(?:row|at most|at least|greater than|[Cc]ustomer(?: ID)?|Loan ID|loan) \d+\b/g;

/**
 * A reason can quote the cell ("got text \"+91 98765 43210\""): masked as in the server's logs.
 * Row numbers, the rules' limits and the ids named are not the cell's: a million-row file's row
 * 1000005, a salary's limit 1000000000 and customer 12345678 have as many digits as a phone
 * number, and were masked too. What follows a quote is the cell's text, whatever it reads like
 * (`got text "customer 9123456780"`): masked in full.
 */
function maskedReason(reason: string): string {
  const quote = reason.indexOf('"');
  const named = quote === -1 ? reason : reason.slice(0, quote);
  const quoted = quote === -1 ? "" : reason.slice(quote);
  let masked = "";
  let from = 0;
  for (const kept of named.matchAll(NOT_CELL_NUMBERS)) {
    masked += maskPersonalData(named.slice(from, kept.index)) + kept[0];
    from = kept.index + kept[0].length;
  }
  return masked + maskPersonalData(named.slice(from)) + maskPersonalData(quoted);
}

/**
 * The row's customer after its reason (`UNKNOWN_CUSTOMER (customer 79)`), unless the reason names
 * a customer already: `phone number already belongs to customer 82 (customer 84)` read as one.
 * A Customer ID is shown whole, however many digits it has: it is not personal data.
 */
function customerOf({ customer_id: id, reason }: IngestReport["rejected_rows"][number]): string {
  if (id === undefined || reason.includes("customer ")) return "";
  return ` (customer ${id})`;
}

/**
 * Rejected rows and dead chunks the summary lists; the rest are counted, and listed in the report.
 * Dead chunks were all listed: a database that refused every write printed one line per 500 rows.
 */
const LISTED = 20;

/** The dead chunks past the first LISTED, in one line. */
function deadChunksNotListed({ dead_chunks: dead }: IngestReport): string[] {
  const rest = dead.slice(LISTED);
  if (rest.length === 0) return [];
  const rows = rest.reduce((sum, chunk) => sum + chunk.rows, 0);
  return [`  … ${rest.length} more dead chunks (${rows} rows) in the report`];
}

/** Characters of a dead chunk's row ranges the summary shows; the report has them all. */
const ROWS_SHOWN = 60;

/** The worksheet rows a dead chunk carried, the first of them: "    rows of loans.xlsx: 12-40, 77, … 37 more ranges". */
function deadChunkRowsLine({
  file,
  file_rows: rows,
}: IngestReport["dead_chunks"][number]): string[] {
  if (file === undefined || rows === undefined) return [];
  return [`    rows of ${file}: ${rangesPreview(rows, ROWS_SHOWN)}`];
}

export function printSummary(report: IngestReport, reportFile: string): void {
  const again = (s: IngestReport["customers"]) =>
    s.to_send_again === undefined ? "" : ` (dead rows to send again ${s.to_send_again})`;
  const line = (name: string, s: IngestReport["customers"]) =>
    `  ${name.padEnd(10)} read ${s.rows_read}${again(s)}, landed ${s.landed}, rejected ${s.rejected}, dead ${s.dead}   (${s.file})`;
  console.log(
    [
      `ingest ${report.job_id} → ${report.url}`,
      ...(report.resent_dead_of
        ? [`  sending again the dead rows of ${report.resent_dead_of}`]
        : []),
      line("customers", report.customers),
      line("loans", report.loans),
      ...sheetsNotReadLines(report),
      ...remappedLines(report),
      ...notListedLines(report),
      ...report.rejected_rows.slice(0, LISTED).map(
        (r) =>
          // A header wrapped in its cell ("Monthly\nSalary") is printed on the line's one line.
          `  rejected ${r.file} row ${r.row} ${r.column?.replace(/\s+/g, " ") ?? ""}: ${maskedReason(r.reason)}${customerOf(r)}`,
      ),
      ...(report.rejected_rows.length > LISTED
        ? [`  … ${report.rejected_rows.length - LISTED} more rejected rows in the report`]
        : []),
      // The reason is the server's own text (src/ingest/consumer.ts, markDead): a fixed sentence,
      // or the paths of the fields at fault, never a cell or the database's error.
      ...report.dead_chunks
        .slice(0, LISTED)
        .flatMap((c) => [
          `  dead chunk ${c.seq} (${c.kind}, ${c.rows} rows): ${c.reason ?? "gave up"}`,
          ...deadChunkRowsLine(c),
        ]),
      ...deadChunksNotListed(report),
      `  time ${(report.duration_ms / 1000).toFixed(1)} s; report ${reportFile}`,
      report.complete
        ? `  every ${report.resent_dead_of ? "dead " : ""}row landed${sheetsNotReadLines(report).length > 0 ? ' (of the first worksheets: see "not read" above)' : ""}`
        : "  NOT every row landed: see the report",
    ].join("\n"),
  );
}

// Run only as a command, not when imported (npm start imports runIngest through this module).
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const code = await main();
  // An interrupted run leaves sends and retries behind that would keep the process alive.
  if (code === INTERRUPTED) process.exit(code);
  process.exitCode = code;
}
