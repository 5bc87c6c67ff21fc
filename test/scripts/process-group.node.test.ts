import { afterEach, describe, expect, it } from "vitest";
import { recordOutput, spawnGroup, stopGroup } from "../../scripts/lib/process-group";

/*
 * The helpers that start and stop the servers of the benchmarks and the `node-server` test
 * project: stopping a group stops what its leader started too (a cluster's workers), and one
 * that ignores SIGTERM is killed once the grace period has passed.
 */

/** A Node process that starts a child (as a cluster primary forks a worker) and prints both pids. */
function parentWithChild(onTerm: "exit" | "ignore") {
  const child = "setInterval(() => {}, 1000)";
  const script = `
    const { spawn } = require("node:child_process");
    const child = spawn(process.execPath, ["-e", ${JSON.stringify(child)}], { stdio: "ignore" });
    process.on("SIGTERM", () => { ${onTerm === "exit" ? "process.exit(0)" : ""} });
    console.log("pids " + process.pid + " " + child.pid);
    setInterval(() => {}, 1000);
  `;
  return spawnGroup(process.execPath, ["-e", script], { cwd: process.cwd(), env: process.env });
}

/** Every pid a test saw, killed after it whatever its outcome. */
const started: number[] = [];

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone, as it should be
    }
  }
});

async function pidsOf(leader: ReturnType<typeof spawnGroup>): Promise<number> {
  const [, leaderPid, childPid] = await recordOutput(leader).waitFor(/pids (\d+) (\d+)/, 30_000);
  started.push(Number(leaderPid), Number(childPid));
  return Number(childPid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  // A killed process is reaped by its parent (or init) a moment later.
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

describe("a process group", () => {
  it("stops with its leader's children", async () => {
    const leader = parentWithChild("exit");
    const childPid = await pidsOf(leader);
    await stopGroup(leader);
    expect(leader.exitCode).toBe(0);
    expect(await gone(childPid)).toBe(true);
  });

  it("is killed once the grace period has passed when it ignores SIGTERM", async () => {
    const leader = parentWithChild("ignore");
    const childPid = await pidsOf(leader);
    await stopGroup(leader, 200);
    expect(leader.signalCode).toBe("SIGKILL");
    expect(await gone(childPid)).toBe(true);
  });

  it("waiting for output fails with what the process printed when it exits first", async () => {
    const leader = spawnGroup(
      process.execPath,
      ["-e", "console.error('no port'); process.exit(3)"],
      {
        cwd: process.cwd(),
        env: process.env,
      },
    );
    await expect(recordOutput(leader).waitFor(/ready/, 30_000)).rejects.toThrow(
      /exited with 3 before printing \/ready\/:\nno port/,
    );
  });
});
