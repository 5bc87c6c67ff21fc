/*
 * What the before/after benchmarks (bench:ab, bench:ingest) share: the "before" commit checked out
 * in a scratch git worktree on today's node_modules, environment lists from the command line, and
 * medians.
 */
import { execFileSync } from "node:child_process";
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./processes";

export function git(...gitArgs: string[]): string {
  return execFileSync("git", gitArgs, { cwd: ROOT, encoding: "utf8" }).trim();
}

/** Checks `commit` out at `tree`, linked to the working tree's node_modules. */
export async function checkOutBase(tree: string, commit: string): Promise<void> {
  git("worktree", "add", "--detach", tree, commit);
  await symlink(join(ROOT, "node_modules"), join(tree, "node_modules"));
}

/** "A=1,B=2" → { A: "1", B: "2" }; a value may hold "=" itself (`NODE_OPTIONS=--flag=1`). */
export function parseEnv(list: string): Record<string, string> {
  const pairs = list.split(",").filter((pair) => pair.includes("="));
  return Object.fromEntries(
    pairs.map((pair) => {
      const equals = pair.indexOf("=");
      return [pair.slice(0, equals).trim(), pair.slice(equals + 1).trim()];
    }),
  );
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? 0) + upper) / 2;
}
