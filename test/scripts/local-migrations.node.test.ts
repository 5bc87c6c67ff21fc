import { describe, expect, it } from "vitest";
import { migrationSummary } from "../../scripts/lib/local-migrations";

// wrangler 4.86's words, as npm start's tests capture them: it announces the count, then applies
// every one of those migrations or exits with an error.
describe("npm start's line for the local D1 migrations", () => {
  it("counts the migrations wrangler applied", () => {
    const output =
      "Migrations to be applied:\n┌──┐\n│ name │\n└──┘\n? About to apply 13 migration(s)\nYour database may not be available to serve requests during the migration, continue?\n🤖 Using fallback value in non-interactive context: yes\n";
    expect(migrationSummary(output)).toBe("applied 13 local D1 migrations");
    expect(migrationSummary(output.replace("13", "1"))).toBe("applied 1 local D1 migration");
  });

  it("says the database is up to date when there was none to apply", () => {
    expect(
      migrationSummary(
        "Resource location: local \n\nUse --remote if you want to access the remote instance.\n\n✅ No migrations to apply!\n",
      ),
    ).toBe("local D1 database is up to date");
  });

  it("is none for output in other words, rather than a count guessed at", () => {
    expect(migrationSummary("Applied 13 migrations\n")).toBeNull();
    expect(migrationSummary("")).toBeNull();
  });
});
