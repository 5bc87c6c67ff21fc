import { cp, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { npmScriptCommand } from "./npm-script";
import { environmentWithoutAppSettings } from "./shell-settings";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What `npm run serve` reads from the project (node_modules linked, public/ already built). */
const PROJECT_PARTS = ["package.json", "src", "scripts", "migrations", "console", "public"];

/** A copy of the project at `project`, as a clone there would be, its node_modules linked. */
export async function copyProject(project: string): Promise<void> {
  await mkdir(project);
  for (const part of PROJECT_PARTS) {
    await cp(join(ROOT, part), join(project, part), { recursive: true, preserveTimestamps: true });
  }
  await symlink(join(ROOT, "node_modules"), join(project, "node_modules"));
}

/**
 * `npm run serve` as run inside the copy at `project`: its own files, every app setting unset
 * but those in `env`, one process on a free port of 127.0.0.1, no seed.
 */
export function serveInCopy(project: string, env: NodeJS.ProcessEnv) {
  const { command, args } = npmScriptCommand("serve");
  return {
    command,
    args: args.map((arg) => (arg.startsWith(ROOT) ? join(project, arg.slice(ROOT.length)) : arg)),
    cwd: project,
    env: {
      ...environmentWithoutAppSettings(),
      HOST: "127.0.0.1",
      PORT: "0",
      SEED: "false",
      WEB_CONCURRENCY: "1",
      ...env,
    },
  };
}
