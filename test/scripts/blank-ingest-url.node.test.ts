import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_URL } from "../../scripts/ingest";
import { runScript } from "../node/run-script";

/*
 * A blank INGEST_URL (`INGEST_URL=` in an env file or a compose file) is no setting, as a blank
 * INGEST_TOKEN is: the script goes to its local default. It used to take "" as the address and
 * fail the run on it. Workbooks that do not exist stop the run before any request is sent (both
 * are named, customers first: a check that failed first named one or the other), and the report
 * it still writes names the address it would have used.
 */

const scratch = await mkdtemp(join(tmpdir(), "blank-ingest-url-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe("a blank INGEST_URL", () => {
  it("is the local default, as an unset one", async () => {
    const { code, output } = await runScript(
      "scripts/ingest.ts",
      ["--customers", "no-customers.xlsx", "--loans", "no-loans.xlsx", "--report", "r.json"],
      { INGEST_URL: "", INGEST_TOKEN: "blank-url-test-token", INIT_CWD: scratch },
    );
    expect(code).toBe(1);
    expect(output).toMatch(
      /no-customers\.xlsx: file not found\n {2}\S*no-loans\.xlsx: file not found/,
    );
    const report = JSON.parse(await readFile(join(scratch, "r.json"), "utf8"));
    expect(report.url).toBe(LOCAL_URL);
  });
});
