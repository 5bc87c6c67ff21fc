import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeWorkerEnvFile } from "../../scripts/lib/worker-env-file";

/*
 * `npm start`'s env file holds the local secrets. A start killed with SIGKILL never removes its
 * own, so the next start removes those whose process is gone.
 */

let temp: string;
let previousTmpdir: string | undefined;

beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), "env-file-test-"));
  previousTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = temp; // os.tmpdir() reads it on every call
});

afterEach(() => {
  if (previousTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmpdir;
  rmSync(temp, { recursive: true, force: true });
});

/** A directory as an earlier start left it, with its secret in. */
function leftBehind(name: string): void {
  mkdirSync(join(temp, name), { mode: 0o700 });
  writeFileSync(join(temp, name, "worker.env"), "INGEST_TOKEN='old'\n", { mode: 0o600 });
}

describe("npm start's env file", () => {
  it("removes the files of starts whose process is gone, and only those", () => {
    const gone = spawnSync("true").pid;
    if (gone === undefined) throw new Error("could not start a process");
    leftBehind(`credit-approval-start-${gone}-abc123`);
    leftBehind(`credit-approval-start-${process.pid}-def456`); // this process: still running
    leftBehind("credit-approval-start-ghi789"); // an older release's name: no pid to check
    leftBehind("another-tool-1-xyz");

    const file = writeWorkerEnvFile("API_KEYS=abc\n", { INGEST_TOKEN: "new" });
    try {
      expect(readdirSync(temp).sort()).toEqual(
        [
          "another-tool-1-xyz",
          "credit-approval-start-ghi789",
          `credit-approval-start-${process.pid}-def456`,
          file.path.split("/").at(-2),
        ].sort(),
      );
      expect(file.path).toContain(`credit-approval-start-${process.pid}-`);
    } finally {
      file.remove();
    }
  });
});
