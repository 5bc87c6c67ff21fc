import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/worker/index";
import { loggedLines } from "../support/logged-lines";

/*
 * The cron with a setting that does not parse. Requests answer 503 naming it
 * (test/worker/settings.test.ts); the scheduled run used to throw the parse error bare, with no
 * structured line an operator could search the Worker's logs for.
 */

async function runScheduled(vars: Record<string, unknown>): Promise<void> {
  const ctx = createExecutionContext();
  try {
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: "17 * * * *" }),
      { ...env, ...vars } as Cloudflare.Env,
      ctx,
    );
  } finally {
    await waitOnExecutionContext(ctx);
  }
}

describe("the scheduled maintenance with a setting that does not parse", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("logs one invalid-settings line naming each setting, and fails naming them", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await expect(
      runScheduled({ DECISION_RETENTION_MONTHS: "abc", AS_OF_DATE: "bad" }),
    ).rejects.toThrow(
      "Scheduled maintenance did not run: the deployment's settings are not valid (AS_OF_DATE, DECISION_RETENTION_MONTHS).",
    );
    expect(loggedLines(errors)).toEqual([
      {
        level: "error",
        what: "invalid settings",
        problem:
          "AS_OF_DATE must be empty or a YYYY-MM-DD date; DECISION_RETENTION_MONTHS must be an integer from 1 to 1200",
        cron: "17 * * * *",
      },
    ]);
  });

  it("writes nothing of a secret's value", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const secret = "sha256:not-a-digest-but-a-pasted-key";
    await expect(runScheduled({ API_KEYS: secret })).rejects.toThrow(/\(API_KEYS\)/);
    const [line] = loggedLines(errors);
    expect(line?.what).toBe("invalid settings");
    expect(line?.problem).toMatch(/^API_KEYS /);
    expect(JSON.stringify(errors.mock.calls)).not.toContain("pasted-key");
  });

  it("says so when no database is configured", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await expect(runScheduled({ DB: undefined })).rejects.toThrow(
      "Scheduled maintenance did not run: the deployment's settings are not valid (DB).",
    );
    expect(loggedLines(errors)).toEqual([
      {
        level: "error",
        what: "invalid settings",
        problem:
          "DB must be bound to a D1 database ([[d1_databases]] in wrangler.toml), unless DATABASE_URL is set",
        cron: "17 * * * *",
      },
    ]);
  });

  // It threw the libSQL client's own TypeError, which no invalid-settings line named.
  it("fails naming DATABASE_URL when the libSQL client refuses it", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await expect(runScheduled({ DATABASE_URL: "libsql://" })).rejects.toThrow(
      "Scheduled maintenance did not run: the deployment's settings are not valid (DATABASE_URL).",
    );
    const [line] = loggedLines(errors);
    expect(line).toMatchObject({ level: "error", what: "invalid settings", cron: "17 * * * *" });
    expect(line?.problem).toMatch(/^DATABASE_URL /);
  });

  it("runs the sweeps with good settings, logging no error", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await runScheduled({ DECISION_RETENTION_MONTHS: "25" });
    expect(errors).not.toHaveBeenCalled();
  });
});
