import { env } from "cloudflare:test";
import { DrizzleD1Database } from "drizzle-orm/d1";
import { is } from "drizzle-orm/entity";
import { LibSQLDatabase } from "drizzle-orm/libsql/driver-core";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config";
import { workerDatabase } from "../../src/worker/database";
import { call } from "../support/http";
import { expectProblem } from "../support/problem";

// Which database the Worker uses is configuration: these run inside workerd, so they also prove
// that the libSQL Web client loads and runs in the Workers runtime.
describe("the Worker's choice of database", () => {
  it("uses the D1 binding by default", () => {
    expect(is(workerDatabase({ DB: env.DB }), DrizzleD1Database)).toBe(true);
  });

  it("uses libSQL over HTTP when DATABASE_URL is set, even with D1 bound", () => {
    const db = workerDatabase({
      DB: env.DB,
      DATABASE_URL: "libsql://credit-example.turso.io",
      DATABASE_AUTH_TOKEN: "token",
    });
    expect(is(db, LibSQLDatabase)).toBe(true);
  });

  it.each(["file:local.db", "postgres://db.example/credit", "not a url"])(
    "refuses DATABASE_URL %j, which the Web client cannot reach",
    (url) => {
      expect(() => workerDatabase({ DATABASE_URL: url })).toThrow(ConfigError);
    },
  );

  it("refuses to run with no database at all", () => {
    expect(() => workerDatabase({})).toThrow(
      /^DB must be bound to a D1 database \(\[\[d1_databases\]\] in wrangler.toml\), unless DATABASE_URL is set$/,
    );
  });

  it("answers 503 with Retry-After when the libSQL server cannot be reached", async () => {
    // Nothing listens on port 9 of the loopback: the connection is refused at once.
    const response = await call("/view-loans/1", {
      env: { DATABASE_URL: "http://127.0.0.1:9", DATABASE_AUTH_TOKEN: "token" },
    });
    await expectProblem(response, 503);
    expect(response.headers.get("retry-after")).toBe("1");
  });
});
