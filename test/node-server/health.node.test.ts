import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPECTED_MIGRATIONS } from "../../src/db/migration-names";
import { openRuntime } from "../../src/node/runtime";
import { type RunningServer, startServer } from "../../src/node/server";
import { settingsFromEnv } from "../../src/node/settings";
import { NEWER_MIGRATION } from "../node/newer-database";

/*
 * The health endpoints of the Node server over real HTTP, and /readyz when its file database is
 * not ready: a migration not recorded, then one recorded that this release lacks, then the
 * database closed under the running app.
 */

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "node-health-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("the Node server's health endpoints", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(
      settingsFromEnv({ PORT: "0", DATABASE_URL: `file:${join(directory, "served.db")}` }),
    );
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answer over HTTP on the loopback: /healthz ok, /readyz ready", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const live = await fetch(`${server.url}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", migrations: EXPECTED_MIGRATIONS.length });
  });
});

describe("/readyz on a runtime whose database is not ready", () => {
  it("names a migration that is not recorded, then the database once it is closed", async () => {
    const runtime = await openRuntime(
      settingsFromEnv({ DATABASE_URL: `file:${join(directory, "broken.db")}` }),
    );
    const readyz = async () => {
      const response = await runtime.fetch(new Request("http://api.test/readyz"));
      return {
        status: response.status,
        type: response.headers.get("Content-Type"),
        body: (await response.json()) as { type?: string; errors?: unknown },
      };
    };
    try {
      expect((await readyz()).status).toBe(200);

      const last = EXPECTED_MIGRATIONS.at(-1) ?? "";
      await runtime.client.execute({
        sql: "DELETE FROM d1_migrations WHERE name = ?",
        args: [last],
      });
      const missing = await readyz();
      expect(missing.status).toBe(503);
      expect(missing.type).toBe("application/problem+json");
      expect(missing.body.type).toBe("/problems/not-ready");
      expect(missing.body.errors).toEqual([
        { field: "migrations", message: `not applied: ${last}` },
      ]);

      // A newer release migrated it under this one (a rolling upgrade): it was still ready.
      await runtime.client.execute({
        sql: "INSERT INTO d1_migrations (name) VALUES (?)",
        args: [NEWER_MIGRATION],
      });
      const newer = await readyz();
      expect(newer.status).toBe(503);
      expect(newer.body).toMatchObject({
        detail: `Not ready: migrations. migrations not applied: ${last}; migrations applied by a newer release, unknown to this one: ${NEWER_MIGRATION}.`,
        errors: [
          { field: "migrations", message: `not applied: ${last}` },
          {
            field: "migrations",
            message: `applied by a newer release, unknown to this one: ${NEWER_MIGRATION}`,
          },
        ],
      });
    } finally {
      await runtime.close();
    }

    // The app still answers after its database is gone: live, but not ready.
    const gone = await readyz();
    expect(gone.status).toBe(503);
    expect(gone.body.errors).toEqual([{ field: "database", message: "did not answer (Error)" }]);
    const live = await runtime.fetch(new Request("http://api.test/healthz"));
    expect(live.status).toBe(200);
  });
});
