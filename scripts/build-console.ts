/**
 * Builds the Worker's static assets into public/: the loan officer's console (console/ bundled by
 * esbuild) and the API reference's script (Scalar's standalone bundle from node_modules), so that
 * /docs works offline. wrangler runs this before `dev` and `deploy` ([build] in wrangler.toml).
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { BUILT_ASSETS } from "./lib/built-assets";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(ROOT, "public");
// Staged beside public/, then renamed into it: a rename needs one file system, and node_modules
// can be a link to another (a shared install, a container's volume: EXDEV).
const STAGING = join(ROOT, ".build-staging");
const written = new Set<string>();

/*
 * Every `wrangler dev` reruns this build, and tests start several at once while others serve: each
 * file is written whole elsewhere and renamed into place, so no server ever reads half a file.
 * Files are replaced one by one: removing the folder would break a running `wrangler dev`.
 */
async function put(relativePath: string, contents: string | Uint8Array): Promise<void> {
  const staged = join(STAGING, `${process.pid}-${basename(relativePath)}`);
  await writeFile(staged, contents);
  await rename(staged, join(OUT, relativePath));
  written.add(relativePath);
}

await Promise.all([
  mkdir(join(OUT, "vendor"), { recursive: true }),
  mkdir(STAGING, { recursive: true }),
]);

const bundle = await build({
  entryPoints: [join(ROOT, "console/src/main.ts")],
  outfile: join(OUT, "console.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  logLevel: "warning",
  write: false,
});
for (const file of bundle.outputFiles) await put(basename(file.path), file.contents);

const page = await readFile(join(ROOT, "console/index.html"));
await put("index.html", page);
// Also at /console, for links that name it.
await put("console.html", page);
await put("console.css", await readFile(join(ROOT, "console/console.css")));

// The package exports no file paths; its standalone browser bundle sits at a fixed place.
const scalarBundle = join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
await put("vendor/scalar-api-reference.js", await readFile(scalarBundle));

// Security headers for the static console (the Worker sets its own on API responses).
await put(
  "_headers",
  `/*
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
  X-Frame-Options: DENY
/
  Content-Security-Policy: default-src 'self'; img-src 'self' data:; frame-ancestors 'none'
/console
  Content-Security-Policy: default-src 'self'; img-src 'self' data:; frame-ancestors 'none'
`,
);

// BUILT_ASSETS is what serve checks and the docs may cite: an output added here must be added there.
const unlisted = [...written].filter((path) => !(BUILT_ASSETS as readonly string[]).includes(path));
const unwritten = BUILT_ASSETS.filter((path) => !written.has(path));
if (unlisted.length > 0 || unwritten.length > 0) {
  throw new Error(
    `scripts/lib/built-assets.ts is out of date: unlisted ${unlisted.join(", ") || "none"}; not built ${unwritten.join(", ") || "none"}`,
  );
}

console.log(`built console and API reference assets into ${OUT}`);
