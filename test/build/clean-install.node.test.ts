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

/**
 * Every `npm ci` the self-hosting docs give, with its options, in the order written: the install,
 * the upgrade and the container recipe's.
 */
async function documentedInstalls(): Promise<string[][]> {
  const doc = await readFile(join(ROOT, "docs/databases.md"), "utf8");
  return [...doc.matchAll(/(?:&& |RUN )npm ci((?: --[a-z=-]+)*)/g)].map((m) =>
    (m[1] ?? "").split(" ").filter(Boolean),
  );
}

/*
 * The server runs TypeScript through tsx and builds public/ with esbuild, both dev dependencies.
 * npm leaves dev dependencies out when NODE_ENV=production is in its environment (the unit sets
 * it for the server; a production host often exports it too): the documented `npm ci` then
 * installed 32 packages, `npm run build:assets` said `tsx: not found` and the server's start
 * `Cannot find package 'tsx'`, a stack trace, restarted by systemd.
 */
describe("the documented npm ci", () => {
  it("installs the dev dependencies the server runs on, also with NODE_ENV=production", async () => {
    const installs = await documentedInstalls();
    expect(installs.length).toBeGreaterThanOrEqual(3);
    const dir = await mkdtemp(join(tmpdir(), "documented-install-"));
    scratchDirs.push(dir);
    await copyFile(join(ROOT, "package-lock.json"), join(dir, "package-lock.json"));
    await copyFile(join(ROOT, "package.json"), join(dir, "package.json"));
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)),
    );
    for (const options of installs) {
      const { stdout } = await run(
        "npm",
        ["ci", ...options, "--dry-run", "--offline", "--no-audit", "--no-fund"],
        { cwd: dir, env: { ...env, NODE_ENV: "production" }, maxBuffer: 16 * 1024 * 1024 },
      );
      expect({
        options,
        tsx: /^add tsx /m.test(stdout),
        esbuild: /^add esbuild /m.test(stdout),
      }).toEqual({
        options,
        tsx: true,
        esbuild: true,
      });
    }
  }, 180_000);
});
