import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, readFile, rename, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient } from "@libsql/client";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { DeadRowsError, deadRowsOf } from "../../scripts/lib/dead-rows";
import { readRows, WorkbookError } from "../../scripts/lib/read-workbook";
import { WorkbookFile } from "../../scripts/lib/workbook-digest";
import { assertXlsxContainer } from "../../scripts/lib/xlsx-container";
import {
  ingestServerPerFile,
  LOAN_HEADERS,
  loansStreamedAsStored,
  loanValues,
  REAL_CUSTOMERS,
  REAL_LOANS,
  scratchFiles,
  writeWorkbook,
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

/** What coreutils' `sha256sum` gives for the file. */
const sha256sum = async (path: string) =>
  (await promisify(execFile)("sha256sum", [path])).stdout.split(" ")[0];

/** The project's loans workbook without its last row, written to `path` (781 loans). */
async function loansWithoutLastRow(path: string): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(REAL_LOANS);
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new Error("no worksheet");
  sheet.spliceRows(sheet.rowCount, 1);
  await workbook.xlsx.writeFile(path);
}

/**
 * A proxy in front of the ingest server that runs `first` when the run first asks for the stored
 * rows' summary, before it answers: the run's one request after its checks, before it reads rows.
 */
async function withSummaryHook<T>(
  target: string,
  first: () => Promise<void>,
  work: (base: string) => Promise<T>,
): Promise<T> {
  let hooked = false;
  const server = createServer((request, response) => {
    void (async () => {
      if (!hooked && request.url?.endsWith("/ingest/summary")) {
        hooked = true;
        await first();
      }
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const answer = await fetch(new URL(request.url ?? "/", target), {
        method: request.method,
        headers: {
          authorization: request.headers.authorization ?? "",
          "content-type": request.headers["content-type"] ?? "application/json",
        },
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      response.writeHead(answer.status, {
        "content-type": answer.headers.get("content-type") ?? "application/json",
      });
      response.end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await work(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

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
    expect(written.customers.sha256).toBe(await sha256sum(files.customers));
    expect(written.loans.sha256).toBe(await sha256sum(files.loans));
    expect(await sha256sum(files.loans)).toBe(written.loans.sha256);

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
    await Promise.all(Object.values(good.files ?? {}).map((file) => file.close()));
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

  it("records the digest of the workbook the rows were read from, replaced after the checks", async () => {
    // The digest was taken in a pass of its own, before the summary request, and the rows read
    // after it: a workbook replaced in between (saved again under its name) was reported with the
    // digest of the file it replaced, and --resend-dead would take that file's rows for its own.
    const files = { customers: scratch("customers-3.xlsx"), loans: scratch("loans-3.xlsx") };
    await copyFile(REAL_CUSTOMERS, files.customers);
    await copyFile(REAL_LOANS, files.loans);
    const replacement = scratch("loans-3-edited.xlsx");
    await loansWithoutLastRow(replacement);
    const report = await withSummaryHook(
      url(),
      () => rename(replacement, files.loans),
      (base) => ingest(files, { url: base }),
    );
    expect(report.loans.rows_read).toBe(781);
    expect(report.loans.sha256).toBe(await sha256sum(files.loans));
    expect(report.loans.sha256).not.toBe(await sha256sum(REAL_LOANS));
    expect(report.customers.sha256).toBe(await sha256sum(REAL_CUSTOMERS));
  }, 120_000);

  it("hashes the bytes the rows are read from, through the one handle they are read through", async () => {
    // Large enough that the file is still being read when its first row arrives.
    const loans = Array.from({ length: 20_000 }, (_, i) => loanValues(1 + (i % 500), 10_000 + i));
    const path = await writeWorkbook(scratch("replaced-while-read.xlsx"), [
      { rows: [LOAN_HEADERS, ...loans], dateColumns: [8, 9] },
    ]);
    const read = await sha256sum(path);
    await copyFile(REAL_LOANS, scratch("replacing.xlsx"));
    const rows = readRows(path, "loans");
    let count = 0;
    for await (const _loan of rows) {
      // Another workbook saved under its name mid-read: the read, and its digest, are the first's.
      if (++count === 1) await rename(scratch("replacing.xlsx"), path);
    }
    expect(count).toBe(20_000);
    expect(rows.sha256).toBe(read);
    expect(await sha256sum(path)).toBe(await sha256sum(REAL_LOANS));

    // The project's workbooks are streamed worksheets last (their shared strings, stored after
    // the worksheet, come first): hashed in the file's order all the same.
    for (const [file, kind] of [
      [REAL_CUSTOMERS, "customers"],
      [REAL_LOANS, "loans"],
    ] as const) {
      const real = readRows(file, kind);
      for await (const _row of real) {
        // read through
      }
      expect(real.sha256).toBe(await sha256sum(file));
    }

    // A workbook streamed as stored, not reordered.
    const stored = await loansStreamedAsStored(scratch("as-stored.xlsx"));
    expect((await assertXlsxContainer(stored)).order).toBeNull();
    const asStored = readRows(stored, "loans");
    let loansRead = 0;
    for await (const _loan of asStored) loansRead++;
    expect(loansRead).toBe(782);
    expect(asStored.sha256).toBe(await sha256sum(stored));
  });

  it("fails a read whose bytes are not those hashed before it (rewritten in place)", async () => {
    // --resend-dead hashes the workbook through the handle the run reads it through: a file saved
    // over in place (the same inode) after that check is read with other bytes, and says so.
    const path = scratch("rewritten.xlsx");
    await copyFile(REAL_LOANS, path);
    const file = await WorkbookFile.open(path);
    try {
      const checked = await file.sha256();
      expect(checked).toBe(await sha256sum(REAL_LOANS));
      await loansWithoutLastRow(scratch("rewritten-edited.xlsx"));
      await writeFile(path, await readFile(scratch("rewritten-edited.xlsx")));
      const rows = readRows(path, "loans", { file, sha256: checked });
      const error = await (async () => {
        for await (const _loan of rows) {
          // read through
        }
      })().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WorkbookError);
      expect((error as Error).message).toBe(
        `${path}: changed while it was read: its SHA-256 is no longer the one found before anything was sent; run the whole workbooks again`,
      );
      expect(rows.sha256).toBeUndefined();
    } finally {
      await file.close();
    }
  });
});
