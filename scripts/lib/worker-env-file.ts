import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { isRunning } from "./running";

/**
 * The Worker's local secrets (`.dev.vars` plus the given overrides) in an env file only this user
 * can read, for `wrangler dev --env-file`: a value passed with `--var` is in the command line,
 * which `ps` shows every local user. `--env-file` replaces `.dev.vars`, so its values are copied.
 */
export function writeWorkerEnvFile(
  devVars: string,
  overrides: Record<string, string>,
): { path: string; remove: () => void } {
  const values = { ...(parseEnv(devVars) as Record<string, string>), ...overrides };
  const lines = Object.entries(values).map(([name, value]) => envFileLine(name, value));
  removeAbandoned(tmpdir());
  // mkdtemp makes the directory 0700; the file is 0600 from its creation. The pid in the name
  // tells a later start whether this one is still running.
  const directory = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
  const path = join(directory, "worker.env");
  writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
  return { path, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

const PREFIX = "credit-approval-start-";

/**
 * Removes the env files of `npm start`s that are gone: one killed with SIGKILL (or a lost
 * terminal) never ran its cleanup, and its file keeps the local secrets until the next start.
 */
function removeAbandoned(temp: string): void {
  for (const name of readdirSync(temp)) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(PREFIX.length))?.[1]);
    // A name without a pid (an older release's) or a pid still running is left alone.
    if (!pid || isRunning(pid)) continue;
    rmSync(join(temp, name), { recursive: true, force: true });
  }
}

/** `NAME='value'` that wrangler reads back as exactly `value`: it expands `$NAME` unless escaped. */
function envFileLine(name: string, value: string): string {
  if (/['\r\n]/.test(value)) {
    throw new Error(
      `${name} holds a quote or a line break, which npm start cannot pass to wrangler`,
    );
  }
  return `${name}='${value.replaceAll("$", "\\$")}'`;
}
