import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import createClient from "openapi-fetch";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openRuntime, type Runtime } from "../../src/node/runtime";
import { settingsFromEnv } from "../../src/node/settings";
import { storeLegacyLoan } from "../support/legacy-loan";
import { type OpenApiDocument, untypedSpots } from "./untyped-operations";

/*
 * A lender's project under "moduleResolution": "NodeNext", or any setup hono's client does not fit,
 * generates its client from GET /openapi.json (README, "Typed client"). This generates the types
 * from the app's own document with openapi-typescript, as `npx openapi-typescript` does, checks
 * that every body, parameter and answer the document declares came out typed, compiles
 * generated-example.ts against them under NodeNext and strict, and runs it against the app.
 */

const EXAMPLE = fileURLToPath(new URL("generated-example.ts", import.meta.url));
// Where the example imports the types from (./credit-api.js): served to the compiler, never written.
const GENERATED = fileURLToPath(new URL("credit-api.d.ts", import.meta.url));

const NODE_NEXT_STRICT: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  verbatimModuleSyntax: true,
  // A Node service's setup: its own lib and @types/node, none of the Workers types or the DOM.
  lib: ["lib.es2023.d.ts"],
  types: ["node"],
  // skipLibCheck off: the generated file and openapi-fetch's own types are checked too.
  noEmit: true,
};

/**
 * The example's exports as this file calls them. It is imported by a path no typecheck follows:
 * `npm run typecheck` has no ./credit-api.d.ts to give it; the compile below checks it instead.
 */
interface GeneratedExample {
  registerCheckAndBook(client: unknown): Promise<{ customerId: number; loanId: number }>;
  statementOf(customerId: number, loanId: number, client: unknown): Promise<unknown>;
}

let directory: string;
let runtime: Runtime;
let document: OpenApiDocument;
let program: ts.Program;

/** A program of the example, with the generated types at GENERATED. */
function compileWith(generatedTypes: string): ts.Program {
  const host = ts.createCompilerHost(NODE_NEXT_STRICT);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (file) => file === GENERATED || fileExists(file);
  host.readFile = (file) => (file === GENERATED ? generatedTypes : readFile(file));
  host.getSourceFile = (file, language, ...rest) =>
    file === GENERATED
      ? ts.createSourceFile(file, generatedTypes, language)
      : getSourceFile(file, language, ...rest);
  return ts.createProgram([EXAMPLE], NODE_NEXT_STRICT, host);
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "credit-generated-client-"));
  runtime = await openRuntime(
    settingsFromEnv({
      DATABASE_URL: `file:${join(directory, "credit.db")}`,
      AS_OF_DATE: "2025-06-15",
    }),
  );
  const served = await runtime.fetch(new Request("http://api.test/openapi.json"));
  const text = await served.text();
  document = JSON.parse(text) as OpenApiDocument;
  // What `npx openapi-typescript <url>/openapi.json -o credit-api.d.ts` writes, less its header.
  const generatedTypes = astToString(await openapiTS(text));
  program = compileWith(generatedTypes);
});

afterAll(async () => {
  await runtime?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

it("generates a typed body for every request and answer, and a type for every parameter", () => {
  const generated = program.getSourceFile(GENERATED);
  if (!generated) throw new Error("the example does not import ./credit-api.js");
  expect(untypedSpots(program, generated, document)).toEqual([]);
});

it("compiles the generated-client example under NodeNext and strict", () => {
  const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const where = diagnostic.file?.fileName.replace(/^.*\/test\/client\//, "") ?? "";
    return `${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, " ").slice(0, 200)}`;
  });
  expect(errors).toEqual([]);
}, 120_000);

it("runs the generated-client example against the app", async () => {
  const example: GeneratedExample = await import(pathToFileURL(EXAMPLE).href);
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: (request) => runtime.fetch(request),
  });

  const booked = await example.registerCheckAndBook(client);
  // A new customer scores 40: band 30–50, so the requested 10 % is raised to 12 %.
  expect(booked).toEqual({
    customerId: expect.any(Number),
    approved: true,
    correctedRate: 12,
    loanId: expect.any(Number),
    endDate: "2026-06-15",
    reuseErrors: [{ field: "Idempotency-Key", message: "was used with a different body" }],
  });

  const statement = await example.statementOf(booked.customerId, booked.loanId, client);
  expect(statement).toMatchObject({ outstanding: 100_000, instalmentBasis: "schedule" });
  expect(statement).toHaveProperty("dueDates.11", "2026-06-15");

  // A loan an older release stored, whose 600-month schedule runs past 9999-12-31.
  const legacyId = await storeLegacyLoan(runtime.db, booked.customerId);
  expect(await example.statementOf(booked.customerId, legacyId, client)).toEqual({
    type: "/problems/schedule-beyond-calendar",
    lastScheduleDate: "9999-12-31",
  });
});
