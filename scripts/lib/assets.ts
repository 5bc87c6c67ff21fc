import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { log } from "../../src/lib/log";
import { BUILT_ASSETS } from "./built-assets";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Built, but never needed to serve: only a browser's developer tools ask for the source map. */
const NOT_SERVED = new Set<string>(["console.js.map"]);
const REMEDY =
  "run npm run build:assets as the user who installed the project (with its dev dependencies), then start again";

/** public/ lacks a file the server serves, and this process cannot build it: only an operator can. */
export class AssetsError extends Error {
  override name = "AssetsError";
}

/**
 * `npm run serve`: builds public/ (`npm run build:assets`, which wrangler runs before `dev`) when a
 * file is missing or the console's sources changed since; a deployment that ships a built public/ never needs the build tools.
 * A build that cannot run here (a project the server's user may not write, no dev dependencies) is
 * no reason to stop while every file served is there: those are served as built, with a warning.
 */
export async function buildAssetsIfNeeded(): Promise<void> {
  const built = await Promise.all(
    BUILT_ASSETS.map((file) =>
      stat(join(ROOT, "public", file)).then(
        (s) => s.mtimeMs,
        () => null,
      ),
    ),
  );
  const missing = BUILT_ASSETS.filter((_, i) => built[i] === null);
  const times = built.filter((time) => time !== null);
  const stale = times.length > 0 && (await newestSource()) > Math.min(...times);
  if (missing.length === 0 && !stale) return;
  console.log("building the console and API reference assets into public/");
  try {
    await import("../build-console");
  } catch (error) {
    const reason = buildFailure(error);
    const needed = missing.filter((file) => !NOT_SERVED.has(file));
    if (needed.length > 0) {
      throw new AssetsError(
        `public/ lacks ${needed.join(", ")}, and it cannot be built here (${reason}): ${REMEDY}`,
      );
    }
    log("warn", "public/ could not be rebuilt, so it is served as built", {
      why:
        missing.length > 0
          ? `it lacks public/${missing.join(", public/")}`
          : "it is older than console/",
      error: reason,
      fix: REMEDY.replace(", then start again", ", then restart the server"),
    });
  }
}

/** Why the build failed, in one line: a permission or a missing package, not a stack trace. */
function buildFailure(error: unknown): string {
  const { code, path } = error as NodeJS.ErrnoException;
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return `${code}: ${path ?? "public/"} may not be written by this process`;
  }
  if (code === "ERR_MODULE_NOT_FOUND") {
    return `${code}: the build tools, dev dependencies, are not installed`;
  }
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

async function newestSource(): Promise<number> {
  const entries = await readdir(join(ROOT, "console"), { recursive: true, withFileTypes: true });
  const times = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map(async (entry) => (await stat(join(entry.parentPath, entry.name))).mtimeMs),
  );
  return Math.max(0, ...times);
}
