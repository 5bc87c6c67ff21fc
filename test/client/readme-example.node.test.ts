import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";

/*
 * The README shows the typed-client example that the suite compiles and runs; this keeps the two
 * the same text, so the README's example cannot rot.
 */

const ROOT = new URL("../../", import.meta.url);

it("the README's typed-client example is test/client/readme-example.ts", async () => {
  const [readme, example] = await Promise.all([
    readFile(new URL("README.md", ROOT), "utf8"),
    readFile(new URL("test/client/readme-example.ts", ROOT), "utf8"),
  ]);
  const section = readme.slice(readme.indexOf("### Typed client"));
  const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  const compiled = example
    .slice(example.search(/^import /m))
    .replace('from "../../src/client"', 'from "./src/client"');
  expect(shown).toBe(compiled);
});
