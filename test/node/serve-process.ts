/*
 * `npm run serve` as a real child process, the one way every Node test starts it: package.json's
 * command without npm around it (so the pid is the server's own, the cluster's primary when it
 * forks), in a process group of its own (stopping or killing it reaches the workers too), on
 * 127.0.0.1, a free port, no seeding, and none of the app's settings from the developer's shell.
 * The caller's `env` comes last; it chooses WEB_CONCURRENCY (the server's default is a process
 * per core).
 */
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";
import { recordOutput, spawnGroup, stopGroup } from "../../scripts/lib/process-group";
import { npmScriptCommand } from "./npm-script";
import { environmentWithoutAppSettings } from "./shell-settings";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** A loaded machine starts several servers at once; a slow start is not a failure. */
const START_TIMEOUT_MS = 60_000;
/** The server's own shutdown grace (requests, then queued work) is 10 s each. */
const STOP_GRACE_MS = 25_000;

export interface ServeProcess {
  /** `http://127.0.0.1:<port>`, from the server's ready line. */
  url: string;
  /** The server's pid (the primary of a cluster), which leads the process group. */
  pid: number;
  /** Everything it printed so far. */
  output: () => string;
  /** Resolves with the server's exit code (null after a signal). */
  exited: Promise<number | null>;
  /** SIGTERM to the group, SIGKILL if it is still there after the grace period. */
  stop: () => Promise<void>;
  /** kill -9 of the whole group; resolves once the server is gone. */
  kill: () => Promise<void>;
}

export async function startServeProcess(env: Record<string, string>): Promise<ServeProcess> {
  const server = spawnServeProcess(env);
  try {
    const [, url = ""] = await server.printed(/ready: API (http:\/\/\S+)/);
    return { ...server, url };
  } catch (error) {
    await server.kill();
    throw error;
  }
}

/**
 * A test file's servers: the function it returns starts one on a database file through `start`
 * (startServeProcess, or cluster-process.ts's startCluster), with `settings` and then the call's
 * `env` over them; every one it started is killed after the file's tests, whatever they left.
 */
export function serveProcessesPerFile(
  start: (env: Record<string, string>) => Promise<ServeProcess>,
  settings: Record<string, string> = {},
): (database: string, env?: Record<string, string>) => Promise<ServeProcess> {
  const servers: ServeProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.kill();
  });
  return async (database, env = {}) => {
    const server = await start({ DATABASE_URL: `file:${database}`, ...settings, ...env });
    servers.push(server);
    return server;
  };
}

/** The server started, not yet ready: for a test that acts while it starts. */
export interface StartingServeProcess extends Omit<ServeProcess, "url"> {
  /** The first match of `pattern` in all it printed; rejects if it exits first or prints none within 60 s. */
  printed: (pattern: RegExp) => Promise<RegExpExecArray>;
}

/**
 * How `npm run serve` with `env` ended: its exit code and output once it stops. One that says
 * ready is killed, and its code is "started" (for a test of a start it should refuse).
 */
export async function startOutcome(
  env: Record<string, string>,
): Promise<{ code: number | null | "started"; output: string }> {
  const server = spawnServeProcess(env);
  const code = await Promise.race([
    server.exited,
    server.printed(/ready: API/).then(
      async () => {
        await server.kill();
        return "started" as const;
      },
      () => server.exited,
    ),
  ]);
  return { code, output: server.output() };
}

export function spawnServeProcess(env: Record<string, string>): StartingServeProcess {
  const { command, args } = npmScriptCommand("serve");
  const child = spawnGroup(command, args, {
    cwd: ROOT,
    env: {
      ...environmentWithoutAppSettings(["TRUSTED_PROXIES"]),
      HOST: "127.0.0.1",
      PORT: "0",
      SEED: "false",
      ...env,
    },
  });
  const pid = child.pid ?? 0;
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  // A forked worker writes to the same pipes, also after the primary has gone.
  const output = recordOutput(child);
  return {
    pid,
    output: output.text,
    exited,
    printed: (pattern) => output.waitFor(pattern, START_TIMEOUT_MS),
    stop: () => stopGroup(child, STOP_GRACE_MS),
    // The group, also after its leader has gone: a worker it left (stopped, say) goes too.
    kill: async () => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        return; // already gone
      }
      await exited;
    },
  };
}
