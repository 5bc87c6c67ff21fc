import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { chunk, customerRow } from "../support/ingest";
import { loggedLines } from "../support/logged-lines";
import { deliver } from "../support/queue-delivery";

/*
 * Chunks already accepted when a deployment's settings stop parsing. The consumer used to throw
 * the parse error: the platform retried the batch at once, five times, then the dead-letter
 * consumer threw too, and after its retries the chunk was dropped with no record that it died.
 */

const BAD = { AS_OF_DATE: "bad", DECISION_RETENTION_MONTHS: "abc" };

describe("the queue consumer with a setting that does not parse", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("sends each chunk back for 30 minutes, logs the settings once, and lands it once they are fixed", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const message = chunk("job-settings", 0, "customers", [customerRow(7101), customerRow(7102)]);

    const deferred = await deliver([message], { env: BAD as Partial<Cloudflare.Env> });
    expect(deferred.explicitAcks).toHaveLength(0);
    expect(deferred.retryMessages).toHaveLength(1);
    expect([...deferred.retryDelays.values()]).toEqual([1800]);
    expect(loggedLines(errors)).toEqual([
      {
        level: "error",
        what: "invalid settings",
        problem:
          "AS_OF_DATE must be empty or a YYYY-MM-DD date; DECISION_RETENTION_MONTHS must be an integer from 1 to 1200",
        queue: "credit-ingest",
      },
    ]);
    const none = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM customers WHERE id IN (7101, 7102)",
    ).first<{ n: number }>();
    expect(none?.n).toBe(0);

    const landed = await deliver([message], { attempts: 2 });
    expect(landed.explicitAcks).toHaveLength(1);
    const both = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM customers WHERE id IN (7101, 7102)",
    ).first<{ n: number }>();
    expect(both?.n).toBe(2);
  });

  it("keeps a dead letter for later too, rather than spending the dead-letter queue's retries", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const message = chunk("job-settings-dead", 0, "customers", [customerRow(7103)]);
    const deferred = await deliver([message], {
      queue: "credit-ingest-dlq",
      env: { API_KEYS: "not-a-digest" } as Partial<Cloudflare.Env>,
    });
    expect(deferred.retryMessages).toHaveLength(1);
    expect([...deferred.retryDelays.values()]).toEqual([1800]);
  });
});

/*
 * A DATABASE_URL the libSQL client refuses (it passed the scheme check) used to be thrown out of
 * the queue handler as a TypeError or LibsqlError: the platform retried the batch at once, the
 * dead-letter consumer threw too, and the chunks were dropped with no record.
 */
describe("the queue consumer with a DATABASE_URL the libSQL client refuses", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(["credit-ingest", "credit-ingest-dlq"])(
    "defers the %s batch for 30 minutes, naming DATABASE_URL and not its value",
    async (queue) => {
      const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
      const message = chunk(`job-url-${queue}`, 0, "customers", [customerRow(7104)]);
      const deferred = await deliver([message], {
        queue,
        env: {
          DATABASE_URL: "libsql://credit.example.turso.io?region=s3cret",
        } as Partial<Cloudflare.Env>,
      });
      expect(deferred.explicitAcks).toHaveLength(0);
      expect(deferred.retryMessages).toHaveLength(1);
      expect([...deferred.retryDelays.values()]).toEqual([1800]);
      const [line] = loggedLines(errors);
      expect(line).toMatchObject({ level: "error", what: "invalid settings", queue });
      expect(line?.problem).toMatch(/^DATABASE_URL /);
      expect(JSON.stringify(errors.mock.calls)).not.toContain("s3cret");
    },
  );
});
