import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  MODEL_RULES_FILES,
  MODEL_RULES_SHA256,
  MODEL_VERSION,
} from "../../src/domain/model-version";

/*
 * Decision records are replayed under their model_version: a change to the scoring or decision
 * rules that keeps the old version would make old records replay under new rules.
 */

/** What a record replays: the decision and the explanation of its reasons (docs/decisions.md). */
const MODEL_ENTRY_FILES = ["assessment.ts", "principal-reasons.ts"];

/** The entry files and every src/domain file they import, directly or not (types included). */
async function importClosure(entries: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(new URL(`../../src/domain/${file}`, import.meta.url), "utf8");
    for (const match of text.matchAll(/from "\.\/([\w-]+)"/g)) pending.push(`${match[1]}.ts`);
  }
  return [...seen].sort();
}

/**
 * A file's code as TypeScript prints it without comments: fixing a comment, a blank line or the
 * indentation is not a new model (it would otherwise force a version bump), any code change is.
 * The printer keeps line breaks inside object and array literals, so those still count.
 */
function codeOf(file: string, text: string): string {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return ts.createPrinter({ removeComments: true }).printFile(source);
}

async function rulesHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of MODEL_RULES_FILES) {
    const text = await readFile(new URL(`../../src/domain/${file}`, import.meta.url), "utf8");
    hash.update(`${file}\n${codeOf(file, text)}\n`);
  }
  return hash.digest("hex");
}

describe("model_version", () => {
  it("changes whenever the scoring or decision rules change", async () => {
    const actual = await rulesHash();
    if (actual !== MODEL_RULES_SHA256) {
      expect.fail(
        `The scoring/decision rules (src/domain/${MODEL_RULES_FILES.join(", ")}) changed, but ` +
          `MODEL_VERSION is still "${MODEL_VERSION}". Bump MODEL_VERSION in ` +
          `src/domain/model-version.ts and set MODEL_RULES_SHA256 to "${actual}". (Comments, blank ` +
          "lines and indentation are not hashed; after a TypeScript upgrade that prints code differently, set " +
          "the hash without a new version.)",
      );
    }
  });

  it("hashes every file the decision and its reasons are computed by", async () => {
    // A file left out could change a replayed outcome (an EMI, a reason's score factors) while
    // the version stays the same.
    expect([...MODEL_RULES_FILES].sort()).toEqual(await importClosure(MODEL_ENTRY_FILES));
  });
});
