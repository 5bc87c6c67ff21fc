import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_WRANGLER_ENV } from "../../scripts/lib/offline-wrangler";

/*
 * Budget: the Worker bundle, as `wrangler deploy` would upload it, stays small (cold start) and
 * carries none of the Node-only code (the workbook reader, native database drivers).
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAX_GZIP_BYTES = 250 * 1024;
let outDir: string;
let bundle: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), "bundle-"));
  const build = spawnSync(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--outdir", outDir],
    {
      cwd: ROOT,
      env: { ...process.env, ...OFFLINE_WRANGLER_ENV },
      encoding: "utf8",
    },
  );
  if (build.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${build.stderr}`);
  bundle = await readFile(join(outDir, "index.js"), "utf8");
}, 120_000);

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe("Worker bundle", () => {
  it(`is at most ${MAX_GZIP_BYTES / 1024} KB gzip`, () => {
    const gzipBytes = gzipSync(bundle).byteLength;
    console.log(
      `worker bundle: ${(bundle.length / 1024).toFixed(1)} KB raw, ${(gzipBytes / 1024).toFixed(1)} KB gzip`,
    );
    expect(gzipBytes).toBeLessThanOrEqual(MAX_GZIP_BYTES);
  });

  it("contains no exceljs and no Node-only database driver", () => {
    for (const marker of [
      "exceljs",
      "ExcelJS",
      "WorkbookReader",
      "better-sqlite3",
      "libsql-js",
      "@libsql/linux",
      "node:fs",
    ]) {
      expect(bundle.includes(marker), `bundle contains ${marker}`).toBe(false);
    }
  });
});
