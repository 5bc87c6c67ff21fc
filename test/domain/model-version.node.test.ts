import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
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

async function rulesHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of MODEL_RULES_FILES) {
    const text = await readFile(new URL(`../../src/domain/${file}`, import.meta.url), "utf8");
    // A checkout with CRLF line endings is the same source.
    hash.update(`${file}\n${text.replaceAll("\r\n", "\n")}\n`);
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
          `src/domain/model-version.ts and set MODEL_RULES_SHA256 to "${actual}".`,
      );
    }
  });
});
