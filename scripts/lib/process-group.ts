/*
 * Child processes started in a process group of their own and stopped as a group, so nothing they
 * started (tsx's launcher child, wrangler's workerd, a server's worker processes) outlives them.
 * Used by the benchmarks, the local Worker and the test harness of the Node server.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** Starts `command` as the leader of a new process group, its output piped to the caller. */
export function spawnGroup(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): ChildProcess {
  return spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** SIGTERM to the group, SIGKILL once `graceMs` has passed; then whatever is left of the group. */
export async function stopGroup(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  signalGroup(pid, "SIGTERM");
  const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  // The leader has gone; make sure nothing else of its group stays behind.
  signalGroup(pid, "SIGKILL");
}

/**
 * Resolves with the first match of `pattern` in the child's output (stdout and stderr); rejects
 * with the output's end when the child exits first or `timeoutMs` passes.
 */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = "";
    const fail = (reason: string) => {
      cleanUp();
      reject(new Error(`${reason}:\n${output.slice(-2_000)}`));
    };
    const timer = setTimeout(() => fail(`no ${pattern} within ${timeoutMs} ms`), timeoutMs);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = pattern.exec(output);
      if (match) {
        cleanUp();
        resolve(match);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited (${signal ?? code}) before printing ${pattern}`);
    function cleanUp() {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

function signalGroup(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name);
  } catch {
    // the group is already gone
  }
}
