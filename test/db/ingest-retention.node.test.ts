import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import {
  type RetentionBackend,
  sweepsABigJobOverSeveralBatches,
  sweepsExpiredJobsAndKeepsTheRest,
  sweepsManySmallJobsInOneRun,
} from "../support/ingest-retention";

/* The ingest jobs' retention sweep on a real libSQL file (on D1: test/db/maintenance.test.ts). */

let directory: string;
let runtime: Runtime;
let backend: RetentionBackend;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "ingest-retention-"));
  runtime = await openRuntime(
    settingsFromEnv({
      DATABASE_URL: `file:${join(directory, "test.db")}`,
      INGEST_TOKEN: "retention-token",
    }),
    // The scenarios run the sweep themselves: the timer never ticks meanwhile.
    { maintenanceIntervalMs: 60 * 60 * 1000 },
  );
  backend = {
    db: runtime.db,
    query: async (sql, args) =>
      (await runtime.client.execute({ sql, args: args as never })).rows as unknown as Record<
        string,
        unknown
      >[],
    report: async (jobId) => {
      const response = await runtime.fetch(
        new Request(`http://localhost/ingest/jobs/${jobId}`, {
          headers: { Authorization: "Bearer retention-token" },
        }),
      );
      if (response.status === 200) return { status: 200 };
      const body = (await response.json()) as { detail?: string };
      return { status: response.status, detail: body.detail };
    },
  };
});

afterAll(async () => {
  await runtime?.close();
  await rm(directory, { recursive: true, force: true });
});

describe("the ingest jobs' retention on libSQL", () => {
  it("deletes a job whose latest chunk activity is past the retention, with all its rows", () =>
    sweepsExpiredJobsAndKeepsTheRest(backend));

  it("sweeps a job bigger than one batch over several runs, its chunks last", () =>
    sweepsABigJobOverSeveralBatches(backend));

  it("sweeps many small jobs in one run, batches spanning jobs and tables", () =>
    sweepsManySmallJobsInOneRun(backend));
});
