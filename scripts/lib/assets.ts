import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILT_ASSETS } from "./built-assets";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/**
 * `npm run serve`: builds public/ (`npm run build:assets`, which wrangler runs before `dev`) when a
 * file is missing or the console's sources changed since; a deployment that ships a built public/ never needs the build tools.
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
  const oldest = built.includes(null) ? null : Math.min(...(built as number[]));
  if (oldest !== null && (await newestSource()) <= oldest) return;
  console.log("building the console and API reference assets into public/");
  await import("../build-console");
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
