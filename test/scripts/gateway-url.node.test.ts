import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  customerValues,
  ingestServerPerFile,
  loanValues,
  scratchFiles,
  writeLenderWorkbooks,
} from "../node/ingest-fixtures";
import { type KeyGateway, startKeyGateway } from "../node/key-gateway";
import { runScript } from "../node/run-script";

/*
 * `npm run ingest -- --url` naming a deployed Worker behind a gateway that needs a key in the query
 * string and serves it under a base path (`https://gateway/credit?key=…`). Every request carries
 * the base path and the query string as written; the key, a credential, is printed and reported
 * as `***`: it was in the summary's first line, the report's `url` and every error line. The
 * Node server in-process over a real libSQL file, a real gateway in front of it, real workbooks,
 * the real script as npm runs it. (The job report's next page, `?deferred_after=`, through the
 * same gateway: deferred-past-dead.node.test.ts.)
 */

const TOKEN = "gateway-url-test-token";
const KEY = "s3cret-gateway-key";
const scratch = scratchFiles();
const { url: serverUrl } = ingestServerPerFile(TOKEN, scratch);
let gateway: KeyGateway;
beforeAll(async () => {
  gateway = await startKeyGateway(serverUrl, "/credit", KEY);
});
afterAll(async () => {
  await gateway.close();
});

describe("npm run ingest through a gateway with a key in --url's query string", () => {
  it("sends every request under the base path with the query as written, and never prints the key", async () => {
    const before = gateway.seen().length;
    // `%2F` and `=` as written: a signed query must reach the gateway byte for byte.
    const query = `?key=${KEY}&sig=a%2Fb=`;
    const { code, output } = await runScript(
      "scripts/ingest.ts",
      ["--url", `${gateway.url}${query}`, "--report", "ok-r.json"].concat(await workbookArgs("ok")),
      { INGEST_TOKEN: TOKEN, INIT_CWD: scratch(".") },
    );
    expect({ code, output }).toMatchObject({ code: 0 });
    const requests = gateway.seen().slice(before);
    expect(requests.length).toBeGreaterThan(3);
    expect(
      requests.filter(
        (request) =>
          !/^(GET|POST) \/credit\/ingest\/[^?]+\?key=s3cret-gateway-key&sig=a%2Fb=$/.test(request),
      ),
    ).toEqual([]);
    expect(output).toContain(`→ ${gateway.url}?key=***&sig=***\n`);
    expect(output).toContain("  every row landed");
    expect(output).not.toContain(KEY);
    const report = await readFile(scratch("ok-r.json"), "utf8");
    expect(report).not.toContain(KEY);
    expect(JSON.parse(report)).toMatchObject({
      url: `${gateway.url}?key=***&sig=***`,
      complete: true,
    });
  });

  it("names the refused request with the key masked", async () => {
    const wrong = "wrong-key-of-the-operator";
    const { code, output } = await runScript(
      "scripts/ingest.ts",
      ["--url", `${gateway.url}?key=${wrong}`, "--report", "refused-r.json"].concat(
        await workbookArgs("refused"),
      ),
      { INGEST_TOKEN: TOKEN, INIT_CWD: scratch(".") },
    );
    expect({ code, output }).toEqual({
      code: 1,
      output: `ingest failed: GET ${gateway.url}/ingest/summary?key=*** answered 403: text/plain "Forbidden: no valid key for this path"\n  report ${scratch("refused-r.json")}\n`,
    });
    const report = await readFile(scratch("refused-r.json"), "utf8");
    expect(report).not.toContain(wrong);
  });
});

/** Two customers and three loans, in workbooks named after the case. */
async function workbookArgs(name: string): Promise<string[]> {
  const files = await writeLenderWorkbooks(
    { customers: scratch(`${name}-c.xlsx`), loans: scratch(`${name}-l.xlsx`) },
    {
      customers: [customerValues(1), customerValues(2)],
      loans: [loanValues(1, 10), loanValues(2, 11), loanValues(2, 12)],
    },
  );
  return ["--customers", files.customers, "--loans", files.loans];
}
