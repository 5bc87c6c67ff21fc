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

export interface RecordedOutput {
  /** Everything the child printed so far, stdout and stderr in the order they arrived. */
  text: () => string;
  /**
   * Resolves with the first match of `pattern` in everything printed, before this call too;
   * rejects with the output's end when the child exits first or `timeoutMs` passes.
   */
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpExecArray>;
}

/**
 * Reads all of the child's output from now on, always: a pipe nobody reads fills up and blocks
 * the child's next write. Call it as the child starts, so that nothing printed is missed.
 */
export function recordOutput(child: ChildProcess): RecordedOutput {
  let output = "";
  const append = (data: Buffer) => {
    output += data.toString();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const fail = (reason: string) => {
        cleanUp();
        reject(new Error(`${reason}:\n${output.slice(-4_000)}`));
      };
      const timer = setTimeout(() => fail(`no ${pattern} within ${timeoutMs} ms`), timeoutMs);
      const check = () => {
        const match = pattern.exec(output);
        if (!match) return false;
        cleanUp();
        resolve(match);
        return true;
      };
      const onExit = () =>
        fail(`exited with ${child.signalCode ?? child.exitCode} before printing ${pattern}`);
      function cleanUp() {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        child.stderr?.off("data", check);
        child.off("exit", onExit);
      }
      // After `append`, which was added first: each check sees the data that triggered it.
      child.stdout?.on("data", check);
      child.stderr?.on("data", check);
      child.once("exit", onExit);
      if (!check() && (child.exitCode !== null || child.signalCode !== null)) onExit();
    });
  return { text: () => output, waitFor };
}

function signalGroup(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name);
  } catch {
    // the group is already gone
  }
}
