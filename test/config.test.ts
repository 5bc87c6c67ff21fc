import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ConfigError, parseAppConfig } from "../src/config";
import { workerConfig } from "../src/worker/config";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("the app's settings, parsed once into a typed config", () => {
  it("reads every setting, with empty meaning unset", () => {
    expect(parseAppConfig({})).toEqual({
      asOfDate: null,
      apiKeyDigests: [],
      corsOrigins: [],
      ingestToken: null,
      ingestRetryDelaySeconds: 2,
      decisionRetentionMonths: 25,
      ingestRetentionDays: 90,
    });
    const config = parseAppConfig({
      AS_OF_DATE: "2025-06-15",
      API_KEYS: `${DIGEST}, ${DIGEST}`,
      CORS_ORIGINS: "https://a.example, https://b.example",
      INGEST_TOKEN: " secret ",
      INGEST_RETRY_DELAY_SECONDS: "0",
    });
    expect(config.asOfDate).toBe("2025-06-15");
    expect(config.apiKeyDigests).toHaveLength(2);
    expect(config.corsOrigins).toEqual(["https://a.example", "https://b.example"]);
    expect(config.ingestToken).toBe("secret");
    expect(config.ingestRetryDelaySeconds).toBe(0);
    expect(parseAppConfig({ AS_OF_DATE: "9949-12-31" }).asOfDate).toBe("9949-12-31");
    expect(parseAppConfig({ AS_OF_DATE: "", INGEST_TOKEN: "  " })).toMatchObject({
      asOfDate: null,
      ingestToken: null,
    });
  });

  it.each([
    [{ AS_OF_DATE: "2025-02-30" }, /AS_OF_DATE must be empty or a YYYY-MM-DD date/],
    // create-loan books at the as-of date: a 600-month loan booked then would end in 10049.
    [{ AS_OF_DATE: "9999-12-31" }, /AS_OF_DATE must be no later than 9949-12-31/],
    [{ AS_OF_DATE: "9950-01-01" }, /AS_OF_DATE must be no later than 9949-12-31/],
    [{ API_KEYS: "sha256:short" }, /^API_KEYS entries must look like sha256:<64 hex digits>/],
    // `API_KEYS=$KEY_A,$KEY_B` with both unset: no key at all, and the API was open.
    [{ API_KEYS: "," }, /^API_KEYS has no entry, only commas/],
    [{ API_KEYS: " , , " }, /^API_KEYS has no entry, only commas/],
    // `API_KEYS=` in an env file, or `API_KEYS=$KEYS` with KEYS unset: taken as unset, the API was open.
    [
      { API_KEYS: "" },
      /^API_KEYS is blank: .* leave API_KEYS unset to run the API open on purpose$/,
    ],
    [{ API_KEYS: " \t " }, /^API_KEYS is blank: .* leave API_KEYS unset to run the API open/],
    [{ INGEST_RETRY_DELAY_SECONDS: "soon" }, /INGEST_RETRY_DELAY_SECONDS must be a number/],
    [{ DECISION_RETENTION_MONTHS: "0" }, /DECISION_RETENTION_MONTHS must be an integer from 1/],
    // Shorter than a Cloudflare Queue may still hold a chunk's message (14 days at the most).
    [{ INGEST_RETENTION_DAYS: "14" }, /INGEST_RETENTION_DAYS must be an integer from 15 to 36500/],
    [{ INGEST_RETENTION_DAYS: "90.5" }, /INGEST_RETENTION_DAYS must be an integer from 15/],
    [{ INGEST_RETENTION_DAYS: "36501" }, /INGEST_RETENTION_DAYS must be an integer from 15/],
    // Not origins: no browser ever sends these as Origin, so CORS would refuse every request.
    [{ CORS_ORIGINS: "lender.example" }, /CORS_ORIGINS entries must be \* or an origin/],
    [{ CORS_ORIGINS: "https://a.example, https://lender.example/app" }, /CORS_ORIGINS entries/],
    [{ CORS_ORIGINS: "ftp://lender.example" }, /CORS_ORIGINS entries/],
    // The bearer parse takes one word: no request could ever present a token with a blank inside.
    [
      { INGEST_TOKEN: "two words" },
      /^INGEST_TOKEN has a blank \(a space, a tab, a no-break space\) at position 4: a bearer token is one word/,
    ],
    [{ INGEST_TOKEN: " pasted\ttoken\n" }, /^INGEST_TOKEN has a blank .* at position 7/],
    [{ INGEST_TOKEN: "no\u00a0break" }, /^INGEST_TOKEN has a blank/],
    // Nor one with a character no header carries (a line break inside, a typographic quote).
    [
      { INGEST_TOKEN: "line\r\nbreak" },
      /^INGEST_TOKEN has a character an HTTP header cannot carry at position 5/,
    ],
    [
      { INGEST_TOKEN: "\u201ctoken\u201d" },
      /^INGEST_TOKEN has a character an HTTP header cannot carry at position 1/,
    ],
  ])("refuses %j, naming the setting", (settings, message) => {
    expect(() => parseAppConfig(settings)).toThrow(ConfigError);
    expect(() => parseAppConfig(settings)).toThrow(message);
  });

  it("names where an INGEST_TOKEN goes wrong, never its value (logged, and answered by the Worker)", () => {
    for (const token of ["s3cret one", "s3cret\none", "s3cret\u2019"]) {
      expect(() => parseAppConfig({ INGEST_TOKEN: token })).toThrow(/^INGEST_TOKEN has a/);
      expect(() => parseAppConfig({ INGEST_TOKEN: token })).not.toThrow(/s3cret/);
    }
  });

  it("writes CORS origins the way browsers send Origin", () => {
    const config = parseAppConfig({
      CORS_ORIGINS:
        "https://lender.example/, HTTPS://Ops.Lender.Example:443, http://127.0.0.1:3000, *",
    });
    expect(config.corsOrigins).toEqual([
      "https://lender.example",
      "https://ops.lender.example",
      "http://127.0.0.1:3000",
      "*",
    ]);
  });

  it("parses the Worker's environment once per environment object", () => {
    const first = workerConfig(env);
    expect(workerConfig(env)).toBe(first);
    expect(workerConfig({ ...env, AS_OF_DATE: "2024-01-31" }).app.asOfDate).toBe("2024-01-31");
  });

  it("refuses a Worker DATABASE_URL the Web client cannot reach", () => {
    expect(() => workerConfig({ DATABASE_URL: "file:local.db" })).toThrow(
      /DATABASE_URL must be a libsql:\/\/, https:\/\/ or http:\/\/ URL/,
    );
  });

  // `wrangler secret put` from a file or `echo` leaves a newline, a paste a blank before: the Web
  // client sent `Bearer  <token>` (or a bare `Bearer`), which Turso refuses. The Node server trims.
  it.each([
    ["eyJhbGciOi.x.y\n", "eyJhbGciOi.x.y"],
    [" eyJhbGciOi.x.y", "eyJhbGciOi.x.y"],
    [" \n", undefined],
    ["", undefined],
  ])("takes the Worker's DATABASE_AUTH_TOKEN %j without the blanks around it", (given, taken) => {
    const env = { DATABASE_URL: "libsql://db.example.turso.io", DATABASE_AUTH_TOKEN: given };
    expect(workerConfig(env).remoteDatabase?.authToken).toBe(taken);
  });
});
