import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The command an npm script runs (package.json), ready for `spawn` from any directory: tests
 * start exactly what `npm run <name>` starts, without npm around it (npm does not pass SIGTERM
 * on). A `--import` of a package is resolved from the project, as npm's working directory would.
 */
export function npmScriptCommand(name: string): { command: string; args: string[] } {
  const scripts = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")).scripts as Record<
    string,
    string
  >;
  const [command, ...words] = (scripts[name] ?? "").split(/\s+/);
  if (command !== "node") throw new Error(`npm run ${name} does not start node directly`);
  const resolve = createRequire(`${ROOT}package.json`).resolve;
  const args = words.map((word, i) =>
    words[i - 1] === "--import" ? pathToFileURL(resolve(word)).href : word,
  );
  // Script paths are the project's, whatever the working directory.
  return { command: process.execPath, args: args.map((a) => (a.endsWith(".ts") ? ROOT + a : a)) };
}
