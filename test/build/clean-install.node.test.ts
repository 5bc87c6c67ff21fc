import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

/*
 * A clean `npm ci` prints no warning: every package supports the Node the project runs on (no
 * EBADENGINE) and every install script is approved or denied in package.json's allowScripts.
 * npm reports both from the lockfile alone, so a dry run in a scratch copy of package.json and
 * package-lock.json checks it in seconds, offline, without touching node_modules.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const scratchDirs: string[] = [];

afterEach(async () => {
  await Promise.all(scratchDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `npm ci --dry-run` on the project's manifests, optionally edited; returns npm's warnings. */
async function installWarnings(edit?: (manifest: Record<string, unknown>) => void) {
  const dir = await mkdtemp(join(tmpdir(), "clean-install-"));
  scratchDirs.push(dir);
  await copyFile(join(ROOT, "package-lock.json"), join(dir, "package-lock.json"));
  const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
  edit?.(manifest);
  await writeFile(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  // Under `npm test` npm exports its own settings (npm_config_*), the project's folder among them.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
  );
  const { stdout, stderr } = await run(
    "npm",
    ["ci", "--dry-run", "--offline", "--no-audit", "--no-fund"],
    { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 },
  );
  return `${stdout}\n${stderr}`.split("\n").filter((line) => /^npm warn/i.test(line));
}

describe("a clean npm ci", () => {
  it("prints no warning", async () => {
    expect(await installWarnings()).toEqual([]);
  }, 120_000);

  it("would name the packages whose install scripts nobody reviewed (the check can fail)", async () => {
    const warnings = await installWarnings((manifest) => {
      delete manifest.allowScripts;
    });
    expect(warnings.join("\n")).toMatch(/install-scripts.*workerd@/);
  }, 120_000);
});
