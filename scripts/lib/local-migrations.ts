/*
 * `npm start`'s migration step: `wrangler d1 migrations apply DB --local`, its output held back.
 * wrangler prints its table of migrations again after each one (about 450 lines on a fresh
 * clone), which buried the ready line: npm start says what it did in one line instead, and
 * prints all of wrangler's output when the command fails.
 */
import { spawn } from "node:child_process";
import { recordOutput } from "./process-group";

export interface MigrationRun {
  /** wrangler's exit code; null when it was killed by a signal or could not be started. */
  code: number | null;
  /** stdout and stderr in the order they arrived. */
  output: string;
}

/** Where the local database is: wrangler's defaults unless the caller names another. */
interface LocalDatabase {
  /** `--persist-to` and `--config`, as `wrangler dev` on that database is given them. */
  args?: readonly string[];
  /** The folder wrangler runs in, which `wrangler.toml` and `migrations/` are found from. */
  cwd?: string;
}

/**
 * Runs `wrangler d1 migrations apply DB --local` with `env`, its output recorded, not shown. The
 * one way both `npm start` and the local Worker of the tests and benchmarks migrate.
 */
export function applyLocalMigrations(
  wrangler: string,
  env: NodeJS.ProcessEnv,
  { args = [], cwd }: LocalDatabase = {},
): Promise<MigrationRun> {
  const child = spawn(wrangler, ["d1", "migrations", "apply", "DB", "--local", ...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const recorded = recordOutput(child);
  return new Promise((resolve) => {
    child.once("error", (error) =>
      resolve({ code: null, output: `${recorded.text()}${error.message}\n` }),
    );
    // "close", not "exit": once both pipes have ended, so no output is missed.
    child.once("close", (code) => resolve({ code, output: recorded.text() }));
  });
}

/**
 * The line for a run that succeeded, from what wrangler 4 says: the count it announces before
 * applying (a migration that fails ends the command with an error), or that there was none.
 * Null for output in other words: the caller shows wrangler's own rather than guess a count.
 */
export function migrationSummary(output: string): string | null {
  const announced = /About to apply (\d+) migration\(s\)/.exec(output);
  if (announced) {
    const count = Number(announced[1]);
    return `applied ${count} local D1 migration${count === 1 ? "" : "s"}`;
  }
  if (/No migrations to apply/.test(output)) return "local D1 database is up to date";
  return null;
}
