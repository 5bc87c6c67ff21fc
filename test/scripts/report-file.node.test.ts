import { mkdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";

/*
 * A --report the script cannot write (a folder that does not exist, a folder itself). The run
 * used to send every row, then fail on writing the report: "ingest failed: ENOENT: …", exit code
 * 1 and no summary, while its rows had landed. The Node server in-process over a real libSQL
 * file, real workbooks.
 */

const TOKEN = "report-file-test-token";
const scratch = scratchFiles();
const { url: serverUrl, ingest } = ingestServerPerFile(TOKEN, scratch);

describe("a report file the script cannot write", () => {
  it("stops the run before anything is sent, naming the report", async () => {
    const files = await writeLenderWorkbooks(
      { customers: scratch("customers.xlsx"), loans: scratch("loans.xlsx") },
      { customers: [customerValues(41)], loans: [loanValues(41, 94_001)] },
    );
    await mkdir(scratch("a-folder"));
    const cases: [string, string][] = [
      [
        scratch("missing/report.json"),
        `cannot write the report ${scratch("missing/report.json")}: the folder ${scratch("missing")} does not exist (--report)`,
      ],
      [
        scratch("a-folder"),
        `cannot write the report ${scratch("a-folder")}: it is a folder; name a file in it (--report)`,
      ],
    ];
    for (const [reportFile, message] of cases) {
      await expect(ingest(files, { reportFile })).rejects.toThrow(message);
    }
    expect((await fetch(`${serverUrl()}/view-loans/41`)).status).toBe(404);
  });
});
