import { fileURLToPath } from "node:url";
import { spawnGroup, stopGroup, waitForOutput } from "../../scripts/lib/process-group";
import { APP_SETTING_NAMES } from "../../src/config";
import { npmScriptCommand } from "../node/npm-script";

/*
 * `npm run serve` as a real process (package.json's command, without npm around it) in a process
 * group of its own, so stopping it also stops the worker processes it forks.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** A loaded machine starts several servers at once; a slow start is not a failure. */
const START_TIMEOUT_MS = 60_000;
/** The server's own shutdown grace (requests, then queued work) is 10 s each. */
const STOP_GRACE_MS = 25_000;

export interface ServeProcess {
  /** `http://127.0.0.1:<port>`, from the server's ready line. */
  url: string;
  /** SIGTERM to the group, SIGKILL if it is still there after the grace period. */
  stop: () => Promise<void>;
}

/** Starts the server with `env` on top of this process's environment, the app's settings unset. */
export async function startServeProcess(env: Record<string, string>): Promise<ServeProcess> {
  const { command, args } = npmScriptCommand("serve");
  // An API_KEYS or CORS_ORIGINS in the developer's shell must not change what the suite sees.
  const unset = Object.fromEntries(APP_SETTING_NAMES.map((name) => [name, ""]));
  const child = spawnGroup(command, args, { cwd: ROOT, env: { ...process.env, ...unset, ...env } });
  try {
    const [, url = ""] = await waitForOutput(child, /ready: API (http:\/\/\S+)/, START_TIMEOUT_MS);
    // Keep reading its output: a full pipe would block the server's next log line.
    child.stdout?.resume();
    child.stderr?.resume();
    return { url, stop: () => stopGroup(child, STOP_GRACE_MS) };
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
}
