import { readdir, readFile } from "node:fs/promises";
import { extname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

/*
 * The Worker's static assets (public/, built by `npm run build:assets`), served by the Node server
 * the way Workers serves them: ahead of the app, GET and HEAD only, `/` from index.html, `/console`
 * from console.html (`/index.html` and `/console.html` redirect there), and the headers of
 * public/_headers. So the console and /docs' script work
 * on both runtimes.
 */

export const PUBLIC_DIR = fileURLToPath(new URL("../../public", import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

interface HeaderRule {
  pattern: RegExp;
  headers: [string, string][];
}

export interface StaticAssets {
  /** URL paths served, e.g. `/`, `/console`, `/vendor/scalar-api-reference.js`. */
  paths: string[];
  /** The asset's response, or null when the request is not for an asset (the app answers). */
  serve: (request: Request) => Promise<Response | null>;
}

/**
 * Lists the built files once, at start; each request reads its file afresh, so a rebuild (which
 * replaces files in place) is served without a restart. Only listed paths are served.
 */
export async function loadStaticAssets(directory = PUBLIC_DIR): Promise<StaticAssets> {
  const files = await listFiles(directory);
  const routes = new Map<string, string>();
  // An .html file's own path redirects to its pretty path, as on Workers: served there, the
  // console would miss the Content-Security-Policy that _headers sets for `/` and `/console` only.
  const redirects = new Map<string, string>();
  for (const file of files) {
    const urlPath = `/${file.split(sep).join("/")}`;
    // Workers keeps these configuration files and dotfiles out of the served assets.
    if (/\/(_headers|_redirects)$|\/\./.test(urlPath)) continue;
    // Pretty HTML paths, as Workers' default html_handling: /index.html at /, /console.html at /console.
    const pretty = urlPath.endsWith("/index.html")
      ? urlPath.slice(0, -"index.html".length)
      : urlPath.endsWith(".html")
        ? urlPath.slice(0, -".html".length)
        : null;
    if (pretty === null) routes.set(urlPath, file);
    else {
      routes.set(pretty, file);
      redirects.set(urlPath, pretty);
    }
  }
  const rules = files.includes("_headers")
    ? parseHeadersFile(await readFile(join(directory, "_headers"), "utf8"))
    : [];

  return {
    paths: [...routes.keys()],
    async serve(request) {
      if (request.method !== "GET" && request.method !== "HEAD") return null;
      const url = new URL(request.url);
      const path = url.pathname;
      const pretty = redirects.get(path);
      if (pretty !== undefined) {
        return new Response(null, { status: 307, headers: { Location: `${pretty}${url.search}` } });
      }
      const file = routes.get(path);
      if (file === undefined) return null;
      let body: Uint8Array;
      try {
        body = await readFile(join(directory, file));
      } catch {
        return null;
      }
      const headers = new Headers({
        "Content-Type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
        "Content-Length": String(body.byteLength),
        // Workers' default for assets: cached, but checked again before each use.
        "Cache-Control": "public, max-age=0, must-revalidate",
      });
      for (const rule of rules) {
        if (rule.pattern.test(path))
          for (const [name, value] of rule.headers) headers.set(name, value);
      }
      return new Response(request.method === "HEAD" ? null : body, { headers });
    },
  };
}

async function listFiles(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(directory, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(directory.length + 1));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * The `_headers` format Workers reads: an unindented URL pattern (`*` matches anything), then
 * indented `Name: value` lines for it.
 */
function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim() || line.trimStart().startsWith("#")) continue;
    if (!/^\s/.test(line)) {
      const escaped = line
        .trim()
        .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
        .replaceAll("*", ".*");
      rules.push({ pattern: new RegExp(`^${escaped}$`), headers: [] });
      continue;
    }
    const colon = line.indexOf(":");
    const rule = rules.at(-1);
    if (rule && colon > 0)
      rule.headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return rules;
}
