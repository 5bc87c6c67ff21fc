import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/*
 * The repository stands on its own: whoever clones it finds the product contract and every decision
 * in docs/, so no file may send a reader to a document outside it, and every pointer into docs/
 * (`docs/ingestion.md#loan-ids` in a comment, a link between pages) lands on a real heading.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// Built, not written out, so that this file does not match its own search.
const OUTSIDE_CONTRACT = new RegExp(`\\b${"spec".toUpperCase()}\\b`);
const OUTSIDE_FOLDER = ["..", "shared", ""].join("/");

/** Tracked files and new ones not ignored yet, as git sees them. */
function repositoryFiles(): string[] {
  const listed = execFileSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  return listed.split("\0").filter((path) => path !== "" && existsSync(join(ROOT, path)));
}

function textFiles(): { path: string; lines: string[] }[] {
  return repositoryFiles().flatMap((path) => {
    const bytes = readFileSync(join(ROOT, path));
    if (bytes.includes(0)) return []; // images, workbooks
    return [{ path, lines: bytes.toString("utf8").split("\n") }];
  });
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replaceAll(" ", "-");
}

/** A Markdown file's lines outside fenced code blocks (a `# comment` in a shell block is no heading). */
function proseLines(lines: string[]): { line: string; index: number }[] {
  let fenced = false;
  return lines.flatMap((line, index) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [{ line, index }];
  });
}

function anchorsIn(markdownPath: string): Set<string> {
  const lines = readFileSync(join(ROOT, markdownPath), "utf8").split("\n");
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(lines)) {
    const heading = /^#{1,6} (.+)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    // A link in a heading counts by its text; a repeated heading gets -1, -2, … as on GitHub.
    const anchor = anchorOf(heading.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1"));
    const repeats = seen.get(anchor) ?? 0;
    seen.set(anchor, repeats + 1);
    anchors.add(repeats === 0 ? anchor : `${anchor}-${repeats}`);
  }
  return anchors;
}

describe("the repository", () => {
  const files = textFiles();

  it("sends no reader to a contract or folder outside it", () => {
    const outside = files.flatMap(({ path, lines }) =>
      lines.flatMap((line, index) =>
        OUTSIDE_CONTRACT.test(line) || line.includes(OUTSIDE_FOLDER)
          ? [`${path}:${index + 1}: ${line.trim()}`]
          : [],
      ),
    );
    expect(outside).toEqual([]);
  });

  it("points into docs/ only at pages and headings that exist", () => {
    const broken: string[] = [];
    for (const { path, lines } of files) {
      lines.forEach((line, index) => {
        const targets = [...line.matchAll(/\bdocs\/(?<page>[\w-]+\.md)#(?<anchor>[\w-]+)/g)];
        // Links between the pages themselves are relative: [api.md](api.md#errors).
        if (path.startsWith("docs/")) {
          targets.push(...line.matchAll(/\]\((?<page>[\w-]+\.md)#(?<anchor>[\w-]+)\)/g));
        }
        for (const { groups } of targets) {
          const page = `docs/${groups?.page}`;
          const anchor = groups?.anchor ?? "";
          const resolved = existsSync(join(ROOT, page)) && anchorsIn(page).has(anchor);
          if (!resolved) broken.push(`${path}:${index + 1}: ${page}#${anchor}`);
        }
      });
    }
    expect(broken).toEqual([]);
  });

  it("links from its Markdown only to files and headings that exist", () => {
    // [text](target): README's links into docs/ and src/, a page's own #anchors, docs/console.png.
    const broken: string[] = [];
    for (const { path, lines } of files.filter((file) => file.path.endsWith(".md"))) {
      for (const { line, index } of proseLines(lines)) {
        const prose = line.replace(/`[^`]*`/g, "");
        for (const [, target = ""] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
          if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
          const [file = "", anchor] = target.split("#");
          const page = file === "" ? path : normalize(join(dirname(path), file));
          const resolved =
            existsSync(join(ROOT, page)) &&
            (anchor === undefined || !page.endsWith(".md") || anchorsIn(page).has(anchor));
          if (!resolved) broken.push(`${path}:${index + 1}: ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
