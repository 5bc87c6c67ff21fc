import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, it } from "vitest";

/*
 * A lender's TypeScript project imports src/client.ts as source, so its compiler checks the app's
 * files under the project's own options, not ours: the strictest common set (@tsconfig/strictest's
 * flags) must compile too. Under exactOptionalPropertyTypes and noPropertyAccessFromIndexSignature
 * five lines of src/ did not, and a project with those flags could not use the client at all.
 */

const EXAMPLE = fileURLToPath(new URL("readme-example.ts", import.meta.url));

const STRICTEST: ts.CompilerOptions = {
  strict: true,
  exactOptionalPropertyTypes: true,
  noPropertyAccessFromIndexSignature: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  allowUnusedLabels: false,
  allowUnreachableCode: false,
  isolatedModules: true,
  skipLibCheck: true,
};

it("compiles the README's typed-client example under a consumer's strictest options", () => {
  // A Node service's setup: its own lib and @types/node, none of the Workers types.
  const program = ts.createProgram([EXAMPLE], {
    ...STRICTEST,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    noEmit: true,
  });
  const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file?.fileName.replace(/^.*?\/(src|test)\//, "$1/") ?? "";
    return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ").slice(0, 160)}`;
  });
  expect(errors).toEqual([]);
}, 120_000);
