import { describe, expect, it } from "vitest";
import { WORKER_YOUNG_GENERATION_FLAG, workerExecArgv } from "../../src/node/cluster/worker-flags";

describe("the HTTP workers' Node flags", () => {
  it("are the primary's own plus a 64 MB young generation", () => {
    expect(workerExecArgv(["--import", "tsx"])).toEqual([
      "--import",
      "tsx",
      "--max-semi-space-size=64",
    ]);
    expect(WORKER_YOUNG_GENERATION_FLAG).toBe("--max-semi-space-size=64");
  });

  it("leave the young generation to an operator who sized it, however it was written", () => {
    expect(workerExecArgv(["--import", "tsx", "--max-semi-space-size=16"])).toEqual([
      "--import",
      "tsx",
      "--max-semi-space-size=16",
    ]);
    expect(workerExecArgv(["--max_semi_space_size=8"])).toEqual(["--max_semi_space_size=8"]);
    expect(workerExecArgv([], "--enable-source-maps --max-semi-space-size=32")).toEqual([]);
    // A different flag that merely starts alike is not a size.
    expect(workerExecArgv([], "--max-semi-space-size-typo=1")).toEqual([
      "--max-semi-space-size=64",
    ]);
  });
});
