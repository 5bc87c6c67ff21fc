/**
 * Every file `npm run build:assets` writes into public/ (git ignores the folder): the build checks
 * it wrote exactly these, `npm run serve` rebuilds when one is missing, the docs may cite them.
 */
export const BUILT_ASSETS = [
  "index.html",
  "console.html",
  "console.js",
  "console.js.map",
  "console.css",
  "vendor/scalar-api-reference.js",
  "_headers",
] as const;
