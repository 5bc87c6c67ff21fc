/*
 * `npm run serve` as a child process, for tests that must kill a real server: its own process
 * group (tsx and the server die together), a database file of the caller's choosing, no seeding,
 * a single process (WEB_CONCURRENCY=1) unless the caller says otherwise.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface ServeProcess {
  url: string;
  /** Everything it printed so far. */
  output: () => string;
  /** kill -9 of the whole group; resolves once it is gone. */
  kill: () => Promise<void>;
}

export async function startServeProcess(env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(join(ROOT, "node_modules/.bin/tsx"), ["scripts/serve.ts"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // One process, as these tests kill and restart it (test/node/cluster-process.ts: every core).
    env: { ...process.env, PORT: "0", SEED: "false", WEB_CONCURRENCY: "1", ...env },
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      return; // already gone
    }
    await exited;
  };
  try {
    const url = await readyUrl(child, (text) => {
      output += text;
      return output;
    });
    return {
      url,
      output: () => output,
      kill,
    };
  } catch (error) {
    await kill();
    throw error;
  }
}

/** Resolves with the API URL once the script prints its ready line. */
function readyUrl(child: ChildProcess, append: (text: string) => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready:\n${append("")}`)), 60_000);
    child.stdout?.on("data", (data: Buffer) => {
      const url = /ready: API (http:\/\/\S+)/.exec(append(data.toString()))?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.stderr?.on("data", (data: Buffer) => append(data.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${append("")}`));
    });
  });
}
