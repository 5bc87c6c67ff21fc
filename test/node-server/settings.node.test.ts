import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  SettingsError,
  settingsFromEnv,
} from "../../src/node/settings";

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
      expect(() => settingsFromEnv({ RATE_LIMIT_PER_MINUTE: bad }), bad).toThrow(SettingsError);
    }
  });

  it("have no ingest token unless INGEST_TOKEN is set", () => {
    expect(settingsFromEnv({}).ingestToken).toBeUndefined();
    expect(settingsFromEnv({ INGEST_TOKEN: "" }).ingestToken).toBeUndefined();
    expect(settingsFromEnv({ INGEST_TOKEN: "operator-token" }).ingestToken).toBe("operator-token");
  });
});
