/* The Worker bundle as `wrangler deploy --dry-run` builds it (minified, as deployed), raw and gzip. */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT, runCommand } from "./processes";

export interface BundleSize {
  file: string;
  raw_kib: number;
  gzip_kib: number;
  budget_gzip_kib: number;
  wrangler_ms: number;
}

export async function workerBundle(outdir: string, timeoutMs: number): Promise<BundleSize> {
  const result = await runCommand(
    join(ROOT, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir],
    timeoutMs,
  );
  if (result.code !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${result.stderr}`);
  const files = (await readdir(outdir)).filter((name) => name.endsWith(".js"));
  const sizes = await Promise.all(files.map(async (name) => (await stat(join(outdir, name))).size));
  const main = files[sizes.indexOf(Math.max(...sizes))];
  if (main === undefined) throw new Error(`no bundle in ${outdir}`);
  const code = await readFile(join(outdir, main));
  return {
    file: main,
    raw_kib: kib(code.length),
    gzip_kib: kib(gzipSync(code).length),
    budget_gzip_kib: 250,
    wrangler_ms: Math.round(result.ms),
  };
}

function kib(bytes: number): number {
  return Math.round((bytes / 1024) * 100) / 100;
}
