import fc from "fast-check";

/*
 * Generators for the hostile-input suite: values, bodies, paths, content types and headers an
 * attacker (or a broken client) might send to any endpoint.
 */

/** Every field some endpoint's body reads. */
export const BODY_FIELDS = [
  "first_name",
  "last_name",
  "age",
  "monthly_income",
  "phone_number",
  "customer_id",
  "loan_amount",
  "interest_rate",
  "tenure",
  "amount",
] as const;

/** Keys that would reach an object's prototype if a parser or a merge were careless. */
export const PROTOTYPE_KEYS = ["__proto__", "constructor", "toString", "extra"] as const;

/** Numbers and strings that break careless parsing, storing or printing, and anything else. */
export const hostileValue = fc.oneof(
  fc.constantFrom(
    "NaN",
    "Infinity",
    "-Infinity",
    "1e308",
    "1e309",
    "-0",
    "0x10",
    "1_000",
    "１２３",
    "",
    " ",
    "\u0000",
    "\ud800",
    "\u202eevil",
    "\u200b",
    "😀".repeat(50),
    "' OR 1=1 --",
    '"; DROP TABLE loans; --',
    "%00",
    "../../etc/passwd",
  ),
  fc.constantFrom(
    1e308,
    -1e308,
    -0,
    -1,
    0,
    2 ** 53,
    Number.MAX_SAFE_INTEGER + 2,
    5e-324,
    0.1 + 0.2,
  ),
  fc.constantFrom(null, true, [], {}),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.constantFrom("x".repeat(60_000)),
  fc.double(),
  fc.integer(),
  fc.anything({ maxDepth: 3 }),
);

/**
 * Any generated value as text. String() throws on an object without a prototype (or with a
 * `toString` that is not a function), which fc.anything() generates: objects go through JSON.
 */
export function textOf(value: unknown): string {
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/** A lone surrogate cannot be put in a URL at all; replace it as a browser would. */
function wellFormed(text: string): string {
  return text.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    "\ufffd",
  );
}

/** A value as one URL path segment or query value, cut to `maxLength` characters. */
function urlPart(value: unknown, maxLength = 200): string {
  return encodeURIComponent(wellFormed(textOf(value))).slice(0, maxLength);
}

/** Valid requests, the starting point of `mutatedBody`. */
const baseBodies: Record<string, Record<string, unknown>> = {
  "/register": {
    first_name: "A",
    last_name: "B",
    age: 30,
    monthly_income: 1000,
    phone_number: 9_999_999_999,
  },
  "/check-eligibility": { customer_id: 1, loan_amount: 1000, interest_rate: 10, tenure: 12 },
  "/create-loan": { customer_id: 1, loan_amount: 1000, interest_rate: 10, tenure: 12 },
  "/make-payment/1/1": { amount: 100 },
};

/** A valid body with fields dropped and others replaced by hostile values, and its path. */
export const mutatedBody = fc
  .record({
    path: fc.constantFrom(...Object.keys(baseBodies)),
    drop: fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
    changes: fc.dictionary(fc.constantFrom(...BODY_FIELDS, ...PROTOTYPE_KEYS), hostileValue, {
      maxKeys: 4,
    }),
  })
  .map(({ path, drop, changes }) => {
    const body: Record<string, unknown> = { ...baseBodies[path] };
    for (const key of drop) delete body[key];
    return { path, body: { ...body, ...changes } };
  });

/** Raw body texts a parser must survive: broken, deeply nested, duplicate and prototype keys. */
export const rawBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json().map((json) => json.slice(0, Math.max(1, json.length - 1))),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc
    .integer({ min: 1, max: 20_000 })
    .map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`),
  fc.constantFrom(
    "{",
    "[]",
    "null",
    "1",
    '"text"',
    '{"age": 30,}',
    '{"a":1}{"b":2}',
    '{"tenure": 1e999}',
    '{"age": 30, "age": "thirty"}',
    '{"__proto__": {"approved": true}, "customer_id": 1, "loan_amount": 1, "interest_rate": 1, "tenure": 1}',
    '{"constructor": {"prototype": {"admin": true}}}',
    '{"customer_id": 1e400, "loan_amount": 1, "interest_rate": 1, "tenure": 1}',
    '{"customer_id": -0, "loan_amount": -0.0, "interest_rate": 0, "tenure": 1}',
    "\ufeff{}",
    '{"a": "\\ud800"}',
  ),
  fc
    .dictionary(fc.constantFrom(...BODY_FIELDS, ...PROTOTYPE_KEYS), hostileValue, { maxKeys: 6 })
    .map((body) => JSON.stringify(body)),
);

export const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json-seq",
  "",
);

export const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH");

/** Every route, with hostile ids, paths and query values. */
export const hostilePath = fc.oneof(
  fc.constantFrom(
    "/register",
    "/check-eligibility",
    "/create-loan",
    "/api/register/",
    "/api/create-loan",
    "/api/create-loan/",
    "/make-payment/1/1",
    "/api/make-payment/1/1/",
  ),
  hostileValue.map((value) => `/view-loan/${urlPart(value)}`),
  hostileValue.map((value) => `/view-loans/${urlPart(value)}`),
  hostileValue.map((value) => `/decisions/${urlPart(value)}`),
  fc
    .tuple(hostileValue, hostileValue)
    .map(([customer, loan]) => `/make-payment/${urlPart(customer)}/${urlPart(loan)}`),
  fc
    .tuple(hostileValue, hostileValue)
    .map(([customer, loan]) => `/view-statement/${urlPart(customer)}/${urlPart(loan)}`),
  fc
    .tuple(hostileValue, hostileValue, hostileValue)
    .map(
      ([id, limit, cursor]) =>
        `/customers/${urlPart(id, 100)}/decisions?limit=${urlPart(limit, 100)}&cursor=${urlPart(cursor)}`,
    ),
  fc
    .record({
      customer: fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String)),
      query: fc.dictionary(
        fc.constantFrom("limit", "cursor", "other", "limit[]"),
        fc.oneof(fc.string({ maxLength: 60 }), fc.integer().map(String), fc.base64String()),
        { maxKeys: 3 },
      ),
    })
    .map(
      ({ customer, query }) =>
        `/customers/${encodeURIComponent(customer)}/decisions?${new URLSearchParams(query)}`,
    ),
);

/** Header values a Request can carry (visible ASCII and spaces); others cannot be sent at all. */
function sendable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, "?").trim();
}

export const headerValue = fc
  .oneof(
    fc.string({ maxLength: 300 }),
    fc.constantFrom("", " ", "x".repeat(2000), "Bearer", "Bearer \u0000"),
  )
  .map(sendable);
