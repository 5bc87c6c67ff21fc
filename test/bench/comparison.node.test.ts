import { describe, expect, it } from "vitest";
import { parseEnv } from "../../bench/lib/comparison";

describe("the --before-env and --after-env lists", () => {
  it("reads NAME=value pairs, keeping an '=' inside a value", () => {
    expect(parseEnv("WEB_CONCURRENCY=1, NODE_OPTIONS=--max-semi-space-size=64")).toEqual({
      WEB_CONCURRENCY: "1",
      NODE_OPTIONS: "--max-semi-space-size=64",
    });
    expect(parseEnv("")).toEqual({});
    expect(parseEnv("EMPTY=")).toEqual({ EMPTY: "" });
  });
});
