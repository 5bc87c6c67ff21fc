import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@libsql/client";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { DeadRowsError, deadRowsOf } from "../../scripts/lib/dead-rows";
import { workbookSha256 } from "../../scripts/lib/workbook-digest";
import {
  ingestServerPerFile,
  REAL_CUSTOMERS,
  REAL_LOANS,
  scratchFiles,
} from "../node/ingest-fixtures";

/*
 * `--resend-dead REPORT` sends the rows an earlier run's dead chunks carried, by their worksheet
 * row numbers. It checked only that the workbooks had the report's file names: a workbook edited
 * since (a row changed, rows inserted) sent whatever those rows now hold, under other customers'
 * or other loans' ids. The report now gives each workbook's SHA-256, and a workbook whose bytes
 * differ is refused before anything is sent. The real script against the Node server in-process
 * over a real libSQL file, with copies of the project's data/ workbooks.
 */

const TOKEN = "workbook-digest-test-token";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const scratch = scratchFiles();
const { url, ingest } = ingestServerPerFile(TOKEN, scratch);

async function database<T>(work: (db: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
  const db = createClient({ url: `file:${scratch("credit.db")}` });
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

const storedLoans = () =>
  database(async (db) => Number((await db.execute("SELECT count(*) AS n FROM loans")).rows[0]?.n));

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");

/** `npm run ingest -- --resend-dead REPORT` on `files`: its exit code and output. */
function resendDead(files: { customers: string; loans: string }, report: string) {
  return promisify(execFile)(
    process.execPath,
    [
      ...["--import", "tsx", "scripts/ingest.ts", "--url", url(), "--token", TOKEN],
      ...["--customers", files.customers, "--loans", files.loans, "--resend-dead", report],
      ...["--report", scratch("resent.json")],
    ],
    { cwd: ROOT },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe("--resend-dead and the workbooks' digests", () => {
  it("refuses a workbook changed since the report (one row edited), sending nothing", async () => {
    const files = { customers: scratch("customer_data.xlsx"), loans: scratch("loan_data.xlsx") };
    await copyFile(REAL_CUSTOMERS, files.customers);
    await copyFile(REAL_LOANS, files.loans);
    await database((db) =>
      db.execute(
        "CREATE TRIGGER test_refuse BEFORE INSERT ON loans WHEN NEW.customer_id IN (1, 2) BEGIN SELECT RAISE(ABORT, 'test: refused'); END",
      ),
    );
    const reportFile = scratch("first.json");
    const first = await ingest(files, { reportFile });
    await database((db) => db.execute("DROP TRIGGER test_refuse"));
    expect(first.loans.dead).toBeGreaterThan(0);
    const written = JSON.parse(await readFile(reportFile, "utf8"));
    expect(written.customers.sha256).toBe(await sha256(files.customers));
    expect(written.loans.sha256).toBe(await sha256(files.loans));
    expect(await workbookSha256(files.loans)).toBe(written.loans.sha256);

    // The lender corrects one dead row's Customer ID in the file, keeping its name.
    const deadRow = Number(/^\d+/.exec(written.dead_chunks[0].file_rows)?.[0]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(files.loans);
    const cell = workbook.worksheets[0]?.getRow(deadRow).getCell(1);
    if (!cell) throw new Error("no such cell");
    cell.value = Number(cell.value) === 3 ? 4 : 3;
    await workbook.xlsx.writeFile(files.loans);

    const before = await storedLoans();
    const refused = await resendDead(files, reportFile);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe(
      `ingest failed: cannot send again the dead rows of ${reportFile}: the loans workbook ${files.loans} is not the one that run read (its SHA-256 is not the report's): name that run's workbooks unchanged, or run the whole workbooks again (--resend-dead)\n`,
    );
    expect(await storedLoans()).toBe(before);

    // The file as that run read it: its dead rows are sent again, and land.
    await copyFile(REAL_LOANS, files.loans);
    const again = await resendDead(files, reportFile);
    expect(again.stderr).not.toContain("ingest failed");
    expect(again.code).toBe(0);
    expect(await storedLoans()).toBe(before + first.loans.dead);
  }, 120_000);

  it("refuses a report that gives no digest, when it has dead rows to send", async () => {
    const files = { customers: scratch("customers-2.xlsx"), loans: scratch("loans-2.xlsx") };
    await writeFile(files.customers, "customers");
    await writeFile(files.loans, "loans");
    const report = {
      customers: { file: "customers-2.xlsx", sha256: await sha256(files.customers) },
      loans: { file: "loans-2.xlsx", sha256: await sha256(files.loans) },
      dead_chunks: [{ seq: 1, kind: "loans", rows: 2, file: "loans-2.xlsx", file_rows: "7-8" }],
    };
    const write = async (name: string, content: unknown) => {
      await writeFile(scratch(name), JSON.stringify(content));
      return scratch(name);
    };
    const good = await deadRowsOf(await write("good.json", report), files);
    expect(good.loans.size).toBe(2);
    expect(good.digests).toEqual({
      customers: report.customers.sha256,
      loans: report.loans.sha256,
    });

    const old = await write("old.json", {
      ...report,
      customers: { file: "customers-2.xlsx" },
      loans: { file: "loans-2.xlsx" },
    });
    const error = await deadRowsOf(old, files).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeadRowsError);
    expect((error as Error).message).toBe(
      `cannot send again the dead rows of ${old}: it gives no SHA-256 of the workbooks (a report written before they were added, 2026-12-06), so they cannot be told unchanged; run the whole workbooks again (--resend-dead)`,
    );
    const missing = { ...files, loans: scratch("gone/loans-2.xlsx") };
    await expect(deadRowsOf(scratch("good.json"), missing)).rejects.toThrow(
      /: the loans workbook .*gone\/loans-2\.xlsx cannot be read \(ENOENT\) \(--resend-dead\)$/,
    );
  });
});
