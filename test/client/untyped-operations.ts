import ts from "typescript";

/*
 * What a client generated from the OpenAPI document cannot check: each request body, parameter
 * and answer the document declares, looked up in the generated `operations` type and resolved by
 * the compiler down to its leaves, where one came out as `any`, `unknown`, `never` or an object
 * with no fields (`{}`, `Record<string, never>`). An answer declared without a body counts too:
 * every answer of ours has one, and a schema dropped from a route leaves none.
 */

interface Reference {
  $ref: string;
}
interface MediaTypes {
  content?: Record<string, { schema?: unknown }>;
}
interface Parameter {
  name: string;
  in: string;
}
interface Operation {
  operationId?: string;
  parameters?: (Parameter | Reference)[];
  requestBody?: MediaTypes | Reference;
  responses: Record<string, MediaTypes | Reference>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
}

function resolved<T extends object>(document: OpenApiDocument, item: T | Reference): T {
  if (!("$ref" in item)) return item;
  const [, section, name] = /^#\/components\/([^/]+)\/([^/]+)$/.exec(item.$ref) ?? [];
  const target = section && name ? document.components?.[section]?.[name] : undefined;
  if (!target) throw new Error(`unresolved ${item.$ref}`);
  return target as T;
}

/** The generated `operations` interface, as the compiler resolves it. */
function operationsType(checker: ts.TypeChecker, generated: ts.SourceFile): ts.Type {
  const declaration = generated.statements.find(
    (statement): statement is ts.InterfaceDeclaration =>
      ts.isInterfaceDeclaration(statement) && statement.name.text === "operations",
  );
  const symbol = declaration && checker.getSymbolAtLocation(declaration.name);
  if (!symbol) throw new Error("the generated types have no `operations` interface");
  return checker.getDeclaredTypeOfSymbol(symbol);
}

export function untypedSpots(
  program: ts.Program,
  generated: ts.SourceFile,
  document: OpenApiDocument,
): string[] {
  const checker = program.getTypeChecker();
  const spots: string[] = [];

  const member = (type: ts.Type | undefined, name: string): ts.Type | undefined => {
    const symbol = type && checker.getPropertyOfType(checker.getNonNullableType(type), name);
    return symbol && checker.getTypeOfSymbol(symbol);
  };

  // Down to the leaves: a `{}` nested in a body is as unchecked as a body that is `{}`.
  const inspect = (type: ts.Type | undefined, where: string, seen: Set<ts.Type>): void => {
    if (!type) return void spots.push(`${where}: missing from the generated types`);
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never)) {
      return void spots.push(`${where}: ${checker.typeToString(type)}`);
    }
    if (seen.has(type)) return;
    seen.add(type);
    if (type.isUnion()) {
      for (const alternative of type.types) inspect(alternative, where, seen);
      return;
    }
    if (!(type.flags & ts.TypeFlags.Object) && !type.isIntersection()) return;
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      const items = checker.getTypeArguments(type as ts.TypeReference);
      for (const item of items) inspect(item, `${where}[]`, seen);
      return;
    }
    const fields = checker.getPropertiesOfType(type);
    const keyed = checker.getIndexInfosOfType(type);
    if (fields.length === 0 && keyed.every((info) => info.type.flags & ts.TypeFlags.Never)) {
      return void spots.push(`${where}: ${checker.typeToString(type)}, an object with no fields`);
    }
    for (const field of fields) {
      inspect(checker.getTypeOfSymbol(field), `${where}.${field.name}`, seen);
    }
    for (const info of keyed) inspect(info.type, `${where}[key]`, seen);
  };

  const operations = operationsType(checker, generated);
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const name = `${method.toUpperCase()} ${path}`;
      if (!operation.operationId) {
        spots.push(`${name}: no operationId, so no entry in the generated operations`);
        continue;
      }
      const generatedOperation = member(operations, operation.operationId);

      for (const parameter of operation.parameters ?? []) {
        const { name: field, in: where } = resolved(document, parameter);
        const parameters = member(member(generatedOperation, "parameters"), where);
        inspect(member(parameters, field), `${name} ${where} parameter ${field}`, new Set());
      }

      const bodies: [string, MediaTypes, ts.Type | undefined][] = [];
      if (operation.requestBody) {
        const body = resolved(document, operation.requestBody);
        bodies.push(["request body", body, member(generatedOperation, "requestBody")]);
      }
      for (const [status, answer] of Object.entries(operation.responses)) {
        const responses = member(generatedOperation, "responses");
        bodies.push([`${status} answer`, resolved(document, answer), member(responses, status)]);
      }
      for (const [what, declared, type] of bodies) {
        const mediaTypes = Object.entries(declared.content ?? {});
        if (mediaTypes.length === 0) spots.push(`${name} ${what}: declares no body`);
        for (const [mediaType, { schema }] of mediaTypes) {
          const where = `${name} ${what} ${mediaType}`;
          if (schema === undefined) spots.push(`${where}: declares no schema`);
          else inspect(member(member(type, "content"), mediaType), where, new Set());
        }
      }
    }
  }
  return spots;
}
