import { describe, expect, it } from "vitest";
import { IngestClient } from "../../scripts/lib/ingest-client";
import { ingestServerPerFile, scratchFiles } from "../node/ingest-fixtures";

/*
 * `--url` given the ingest endpoint an operator pasted (`https://host/ingest`) instead of the
 * server's base URL: the script called `…/ingest/ingest/summary`, and the 404 showed the doubled
 * path with no hint. A base path of /ingest may also be a proxy's real prefix, so the script does
 * not rewrite it: the server's 404 says which --url to pass. The Node server over a real libSQL file.
 */

const TOKEN = "endpoint-as-url-test-token";
const scratch = scratchFiles();
const { url } = ingestServerPerFile(TOKEN, scratch);

const failure = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (error: Error) => error.message,
  );

describe("npm run ingest with --url naming an ingest endpoint", () => {
  it.each([
    ["/ingest", ""],
    ["/ingest/", ""],
    ["/ingest/summary", ""],
    ["/ingest?key=s3cret", "?key=*** (the same query string as now)"],
  ])("answers the 404 for %s with the base URL to pass instead", async (path, query) => {
    const client = new IngestClient(`${url()}${path}`, TOKEN, () => undefined, 2);
    const error = await failure(client.storedRows());
    expect(error).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/ingest\/.*answered 404/);
    expect(error).toMatch(
      new RegExp(
        `\\. --url must be the server's base URL, not an ingest endpoint: run it with --url ${url().replace(/[.?*]/g, "\\$&")}${query.replace(/[.?*()]/g, "\\$&")}$`,
      ),
    );
    expect(error).not.toContain("s3cret");
  });

  it("still works against the base URL, and says nothing more on another 404", async () => {
    const client = new IngestClient(url(), TOKEN);
    expect(await client.storedRows()).toEqual({ customers: 0, loans: 0 });
    const elsewhere = new IngestClient(`${url()}/credit`, TOKEN, () => undefined, 2);
    const error = await failure(elsewhere.storedRows());
    expect(error).toMatch(/answered 404/);
    expect(error).not.toContain("base URL");
  });
});
