/**
 * Builds the Worker's static assets into public/: the loan officer's console (console/ bundled by
 * esbuild) and the API reference's script (Scalar's standalone bundle from node_modules), so that
 * /docs works offline. wrangler runs this before `dev` and `deploy` ([build] in wrangler.toml).
 */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(ROOT, "public");

// Files are overwritten in place: removing the folder would break a running `wrangler dev`.
await mkdir(join(OUT, "vendor"), { recursive: true });

await build({
  entryPoints: [join(ROOT, "console/src/main.ts")],
  outfile: join(OUT, "console.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  logLevel: "warning",
});
await copyFile(join(ROOT, "console/index.html"), join(OUT, "index.html"));
// Also at /console, for links that name it.
await copyFile(join(ROOT, "console/index.html"), join(OUT, "console.html"));
await copyFile(join(ROOT, "console/console.css"), join(OUT, "console.css"));

// The package exports no file paths; its standalone browser bundle sits at a fixed place.
const scalarBundle = join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
await copyFile(scalarBundle, join(OUT, "vendor/scalar-api-reference.js"));

// Security headers for the static console (the Worker sets its own on API responses).
await writeFile(
  join(OUT, "_headers"),
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

console.log(`built console and API reference assets into ${OUT}`);
