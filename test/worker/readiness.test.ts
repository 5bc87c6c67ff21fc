import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EXPECTED_MIGRATIONS } from "../../src/db/migration-names";
import { call, callJson, registration } from "../support/http";
import { expectProblem } from "../support/problem";

/*
 * GET /readyz on the Worker when the database is not ready: a D1 binding that fails every call,
 * no database at all, a database missing a migration (storage is isolated per test file, so
 * deleting a row of d1_migrations here touches no other file), and one no migration was ever
 * applied to (a Worker deployed before `wrangler d1 migrations apply`), where the API's own
 * routes must say so too, and one a newer release migrated (it lists a migration this bundle lacks).
 */

/** A D1 binding whose every query fails the way an unreachable D1 does. */
const unreachableD1 = new Proxy(env.DB, {
  get(target, property) {
    if (property === "prepare") {
      return () => {
        throw new Error("D1_ERROR: Network connection lost.");
      };
    }
    if (property === "batch" || property === "exec") {
      return async () => {
        throw new Error("D1_ERROR: Network connection lost.");
      };
    }
    const value = Reflect.get(target, property);
    return typeof value === "function" ? value.bind(target) : value;
  },
});

describe("GET /readyz on the Worker", () => {
  it("answers 503 naming the database while D1 does not answer, and /healthz stays 200", async () => {
    const envOverride = { DB: unreachableD1 };
    const response = await call("/readyz", { env: envOverride });
    expect(response.headers.get("Retry-After")).toBe("5");
    const body = await expectProblem(response, 503, "database");
    expect(body.type).toBe("/problems/not-ready");
    expect(body.detail).toMatch(/^Not ready: database\./);
    expect(body.errors).toEqual([{ field: "database", message: "did not answer (Error)" }]);
    expect((await callJson("/healthz", { env: envOverride })).status).toBe(200);
  });

  // As a setting that does not parse (test/worker/settings.test.ts): it said "database did not
  // answer (ConfigError)" while every API request answered 500.
  it("answers 503 naming the DB binding when no database is configured", async () => {
    const body = await expectProblem(await call("/readyz", { env: { DB: undefined } }), 503, "DB");
    expect(body.errors).toEqual([
      {
        field: "DB",
        message:
          "must be bound to a D1 database ([[d1_databases]] in wrangler.toml), unless DATABASE_URL is set",
      },
    ]);
  });

  it("answers 503 naming the migration that is not applied, then 200 once it is", async () => {
    const last = EXPECTED_MIGRATIONS.at(-1) ?? "";
    const recorded = await env.DB.prepare("SELECT id FROM d1_migrations WHERE name = ?")
      .bind(last)
      .first<{ id: number }>();
    await env.DB.prepare("DELETE FROM d1_migrations WHERE name = ?").bind(last).run();
    try {
      const body = await expectProblem(await call("/readyz"), 503);
      expect(body.errors).toEqual([{ field: "migrations", message: `not applied: ${last}` }]);
    } finally {
      await env.DB.prepare("INSERT INTO d1_migrations (id, name) VALUES (?, ?)")
        .bind(recorded?.id, last)
        .run();
    }
    expect((await callJson("/readyz")).status).toBe(200);
  });

  // A newer release's migration (a rollback, or an older Worker deployed over a newer database)
  // was ignored: /readyz said ready while the Worker wrote with an older idea of the schema.
  it("answers 503 naming a migration this release does not have, then 200 once it is gone", async () => {
    const newer = "9999_from_a_newer_release.sql";
    await env.DB.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(newer).run();
    try {
      const body = await expectProblem(await call("/readyz"), 503, "migrations");
      expect(body.errors).toEqual([
        {
          field: "migrations",
          message: `applied by a newer release, unknown to this one: ${newer}`,
        },
      ]);
    } finally {
      await env.DB.prepare("DELETE FROM d1_migrations WHERE name = ?").bind(newer).run();
    }
    expect((await callJson("/readyz")).status).toBe(200);
  });

  it("names every migration, not the database, when none was applied", async () => {
    const body = await expectProblem(
      await call("/readyz", { env: { DB: env.UNMIGRATED_DB } }),
      503,
      "migrations",
    );
    expect(body.errors).toEqual([
      { field: "migrations", message: `not applied: ${EXPECTED_MIGRATIONS.join(", ")}` },
    ]);
  });
});

describe("the API on a database no migration was applied to", () => {
  const unmigrated = { env: { DB: env.UNMIGRATED_DB } };
  const loan = { customer_id: 1, loan_amount: 100_000, interest_rate: 10, tenure: 12 };

  it.each([
    ["GET /view-loan/1", () => call("/view-loan/1", unmigrated)],
    ["GET /view-loans/1", () => call("/view-loans/1", unmigrated)],
    ["GET /customers/1/decisions", () => call("/customers/1/decisions", unmigrated)],
    ["POST /register", () => call("/register", { ...unmigrated, body: registration() })],
    ["POST /check-eligibility", () => call("/check-eligibility", { ...unmigrated, body: loan })],
    ["POST /create-loan", () => call("/create-loan", { ...unmigrated, body: loan })],
  ])("%s answers 503 not-ready pointing at /readyz, not a 500", async (_, send) => {
    const response = await send();
    expect(response.headers.get("Retry-After")).toBe("5");
    const body = await expectProblem(response, 503);
    expect(body.type).toBe("/problems/not-ready");
    expect(body.detail).toMatch(/migrations.*\/readyz/);
  });
});
