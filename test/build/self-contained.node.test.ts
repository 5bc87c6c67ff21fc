import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
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

function anchorsIn(markdownPath: string): Set<string> {
  const text = readFileSync(join(ROOT, markdownPath), "utf8");
  const headings = text.split("\n").flatMap((line) => /^#{1,6} (.+)$/.exec(line)?.[1] ?? []);
  return new Set(headings.map(anchorOf));
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
});
