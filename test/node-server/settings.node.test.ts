import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config";
import { DEFAULT_RATE_LIMIT_PER_MINUTE, settingsFromEnv } from "../../src/node/settings";

describe("the Node server's settings", () => {
  it("default to the Worker's write limit from wrangler.toml", () => {
    const toml = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const binding =
      /name = "WRITE_RATE_LIMITER"[\s\S]*?simple = \{ limit = (\d+), period = (\d+) \}/.exec(toml);
    expect(binding?.slice(1).map(Number)).toEqual([DEFAULT_RATE_LIMIT_PER_MINUTE, 60]);
    expect(settingsFromEnv({}).rateLimitPerMinute).toBe(DEFAULT_RATE_LIMIT_PER_MINUTE);
  });

  it("take RATE_LIMIT_PER_MINUTE as a positive integer", () => {
    expect(settingsFromEnv({ RATE_LIMIT_PER_MINUTE: "5000" }).rateLimitPerMinute).toBe(5000);
    for (const bad of ["0", "-1", "1.5", "many"]) {
      expect(() => settingsFromEnv({ RATE_LIMIT_PER_MINUTE: bad }), bad).toThrow(ConfigError);
    }
  });

  it("have no ingest token unless INGEST_TOKEN is set", () => {
    expect(settingsFromEnv({}).app.ingestToken).toBeNull();
    expect(settingsFromEnv({ INGEST_TOKEN: "" }).app.ingestToken).toBeNull();
    expect(settingsFromEnv({ INGEST_TOKEN: "operator-token" }).app.ingestToken).toBe(
      "operator-token",
    );
  });
});
