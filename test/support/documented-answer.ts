import { fromJSONSchema } from "zod";

/*
 * Checks a real answer against GET /openapi.json as a client generated from it reads it: the
 * status must be declared for the operation, the content type for the status, the body must
 * match its schema (zod's own JSON Schema reader, with `format`, integers and enums) and hold no
 * field the schema leaves out, and every header but the transport's and the blanket security
 * headers must be declared, with a value its schema takes. Returns what does not match.
 */

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
  items?: Schema;
  type?: string | string[];
};

interface Header {
  $ref?: string;
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema: Schema }>; headers?: Record<string, Header> }
  >;
}

export interface ApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; headers?: Record<string, Header> };
}

/** Sent on every answer by the HTTP layer or the security middleware, not by an operation. */
const UNDESCRIBED_HEADERS = new Set([
  "cache-control",
  "connection",
  "content-encoding",
  "content-length",
  "content-type",
  "cross-origin-opener-policy",
  "cross-origin-resource-policy",
  "date",
  "keep-alive",
  "origin-agent-cluster",
  "referrer-policy",
  "strict-transport-security",
  "transfer-encoding",
  "vary",
  "x-content-type-options",
  "x-dns-prefetch-control",
  "x-download-options",
  "x-frame-options",
  "x-permitted-cross-domain-policies",
  "x-xss-protection",
]);

const COMPONENT = "#/components/schemas/";

export function answerChecker(document: ApiDocument) {
  // zod resolves local refs under $defs: the components move there, each schema beside them.
  const local = (schema: Schema) =>
    JSON.parse(JSON.stringify(schema).replaceAll(`"${COMPONENT}`, '"#/$defs/'));
  const $defs = local(document.components.schemas as Schema);
  const conforms = (schema: Schema, value: unknown) =>
    fromJSONSchema({ ...local(schema), $defs } as never).safeParse(value);
  const resolve = (schema: Schema): Schema =>
    schema.$ref
      ? resolve(document.components.schemas[schema.$ref.slice(COMPONENT.length)] ?? {})
      : schema;

  /** The names of the body's fields, at any depth, that its schema does not declare. */
  const undeclared = (schema: Schema, value: unknown, where: string): string[] => {
    const own = resolve(schema);
    if (own.anyOf) {
      const each = own.anyOf.map((part) => undeclared(part, value, where));
      return each.find((found) => found.length === 0) ?? each[0] ?? [];
    }
    if (Array.isArray(value)) {
      return own.items
        ? value.flatMap((item, i) => undeclared(own.items as Schema, item, `${where}[${i}]`))
        : [];
    }
    if (value === null || typeof value !== "object") return [];
    const parts = [own, ...(own.allOf ?? []).map(resolve)];
    if (parts.some((part) => part.additionalProperties !== undefined)) return [];
    const declared = new Map<string, Schema>();
    for (const part of parts) {
      for (const [name, property] of Object.entries(part.properties ?? {}))
        declared.set(name, property);
    }
    return Object.entries(value).flatMap(([name, field]) => {
      const property = declared.get(name);
      return property ? undeclared(property, field, `${where}.${name}`) : [`${where}.${name}`];
    });
  };

  /** What does not match in an answer from `path`, whose one operation answers any method. */
  return function mismatches(path: string, response: Response, text: string) {
    // A method the path does not allow (405) is answered as its operation declares.
    const [operation, ...others] = Object.values(document.paths[path] ?? {});
    if (!operation || others.length > 0) return [`${path} is not one operation of the document`];
    const declared = operation.responses[String(response.status)];
    if (!declared) return [`status ${response.status} is not declared`];
    const found: string[] = [];
    const type = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const media = declared.content?.[type];
    if (text !== "" && !media) found.push(`content type ${type} is not declared`);
    // A status documented with a body must send one: an empty answer is not the declared JSON.
    const json = Object.keys(declared.content ?? {}).some((name) => /[/+]json$/.test(name));
    if (text === "" && json)
      found.push(`status ${response.status} is declared with a body, got none`);
    if (text !== "" && media) {
      const body: unknown = JSON.parse(text);
      const result = conforms(media.schema, body);
      for (const issue of result.error?.issues ?? []) {
        found.push(`body.${issue.path.join(".")}: ${issue.message}`);
      }
      for (const field of undeclared(media.schema, body, "body")) {
        found.push(`${field} is not declared`);
      }
    }
    const headers = new Map(
      Object.entries(declared.headers ?? {}).map(([name, header]) => [
        name.toLowerCase(),
        header.$ref
          ? (document.components.headers?.[header.$ref.split("/").at(-1) ?? ""] ?? {})
          : header,
      ]),
    );
    response.headers.forEach((value, name) => {
      if (UNDESCRIBED_HEADERS.has(name)) return;
      const header = headers.get(name);
      if (!header) {
        found.push(`header ${name} is not declared`);
        return;
      }
      const numeric = [header.schema?.type].flat().some((t) => t === "integer" || t === "number");
      const read = numeric && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      if (header.schema && !conforms(header.schema, read).success) {
        found.push(`header ${name}: ${value} does not match its schema`);
      }
    });
    for (const [name, header] of headers) {
      if (header.required && !response.headers.has(name)) found.push(`header ${name} is missing`);
    }
    return found;
  };
}
