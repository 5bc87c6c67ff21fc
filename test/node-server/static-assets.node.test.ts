import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStaticAssets, type StaticAssets } from "../../src/node/static-assets";

/* The Node server's static files, from a real directory laid out as `npm run build:assets` does. */

let directory: string;
let assets: StaticAssets;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "static-assets-"));
  await mkdir(join(directory, "vendor"));
  await writeFile(join(directory, "index.html"), "<p>console</p>");
  await writeFile(join(directory, "console.html"), "<p>console</p>");
  await writeFile(join(directory, "console.js"), "export {};");
  await writeFile(join(directory, "vendor/scalar-api-reference.js"), "/* scalar */");
  await writeFile(join(directory, ".secret"), "no");
  await writeFile(
    join(directory, "_headers"),
    "/*\n  X-Content-Type-Options: nosniff\n/console\n  Content-Security-Policy: default-src 'self'\n",
  );
  assets = await loadStaticAssets(directory);
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const get = (path: string, method = "GET") =>
  assets.serve(new Request(`http://127.0.0.1${path}`, { method }));

describe("the Node server's static assets", () => {
  it("serve the console at / and /console and the vendor script, with _headers' headers", async () => {
    const root = await get("/");
    expect(root?.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await root?.text()).toBe("<p>console</p>");
    expect(root?.headers.get("x-content-type-options")).toBe("nosniff");
    expect(root?.headers.get("content-security-policy")).toBeNull();
    const console = await get("/console");
    expect(console?.headers.get("content-security-policy")).toBe("default-src 'self'");
    const vendor = await get("/vendor/scalar-api-reference.js");
    expect(vendor?.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await vendor?.text()).toBe("/* scalar */");
    const head = await get("/console.js", "HEAD");
    expect(head?.headers.get("content-length")).toBe("10");
    expect(await head?.text()).toBe("");
  });

  it("redirect an .html file's own path to its pretty path, as Workers does, so no page misses _headers' CSP", async () => {
    for (const [path, location] of <[string, string][]>[
      ["/index.html", "/"],
      ["/console.html", "/console"],
      ["/console.html?from=bookmark", "/console?from=bookmark"],
    ]) {
      const response = await get(path);
      expect(response?.status, path).toBe(307);
      expect(response?.headers.get("location"), path).toBe(location);
      expect(await response?.text(), path).toBe("");
    }
    expect(assets.paths).not.toContain("/console.html");
  });

  it("leave everything else to the app: other paths and methods, _headers, dotfiles, traversal", async () => {
    for (const path of [
      "/docs",
      "/api",
      "/_headers",
      "/.secret",
      "/vendor/../../package.json",
      "/%2e%2e/package.json",
    ]) {
      expect(await get(path), path).toBeNull();
    }
    expect(await get("/", "POST")).toBeNull();
  });
});
