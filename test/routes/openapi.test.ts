import { describe, expect, it } from "vitest";
import { LOANS_PER_CUSTOMER_AT_MOST } from "../../src/lib/loan-bound";
import { CATALOGUE } from "../../src/lib/problem";
import { isRateLimitedWrite } from "../../src/lib/security/paths";
import { bytesToHex, sha256 } from "../../src/lib/sha256";
import { backend } from "../support/backend";
import { call, callJson, registerCustomer, registration } from "../support/http";
import { expectProblem } from "../support/problem";
import { seedWideRepaidLoans } from "../support/seed";
import { customerWithLoan, pay } from "../support/servicing";
import { writeLimit } from "../support/write-limit";

interface OpenApiDocument {
  openapi: string;
  info: { title: string };
  paths: Record<
    string,
    Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>
  >;
  components: { schemas: Record<string, unknown> };
}

describe("generated API documentation", () => {
  it("serves an OpenAPI 3.1 document listing the operations without the /api prefix", async () => {
    const { status, body } = await callJson<OpenApiDocument>("/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths).sort()).toEqual([
      "/check-eligibility",
      "/create-loan",
      "/customers/{customer_id}/decisions",
      "/decisions/{decision_id}",
      "/make-payment/{customer_id}/{loan_id}",
      "/register",
      "/view-loan/{loan_id}",
      "/view-loans/{customer_id}",
      "/view-statement/{customer_id}/{loan_id}",
    ]);
    expect(
      Object.keys(body.paths["/make-payment/{customer_id}/{loan_id}"]?.post?.responses ?? {}),
    ).toEqual(expect.arrayContaining(["201", "400", "404", "409", "422"]));
    expect(body.components.schemas).toHaveProperty("PaymentProblem");
    expect(body.components.schemas).toHaveProperty("Statement");
    expect(Object.keys(body.paths["/register"] ?? {})).toEqual(["post"]);
    expect(Object.keys(body.paths["/view-loan/{loan_id}"] ?? {})).toEqual(["get"]);
    expect(Object.keys(body.paths["/create-loan"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "201", "400", "404", "422"]),
    );
    expect(body.components.schemas).toHaveProperty("Problem");
    expect(body.components.schemas).toHaveProperty("Eligibility");
    expect(body.components.schemas).toHaveProperty("DecisionRecord");
    expect(body.components.schemas).toHaveProperty("DecisionPage");
    expect(Object.keys(body.paths["/decisions/{decision_id}"]?.get?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "400", "404"]),
    );
    const list = body.paths["/customers/{customer_id}/decisions"]?.get as unknown as {
      parameters: { name?: string; in?: string; $ref?: string }[];
    };
    expect(list.parameters.map((p) => p.$ref ?? `${p.in}:${p.name}`).sort()).toEqual([
      "#/components/parameters/D1Bookmark",
      "#/components/parameters/RequestId",
      "path:customer_id",
      "query:cursor",
      "query:limit",
    ]);
  });

  it("declares the Node server's own refusals (408, 417, 431) on every operation", async () => {
    // The server's HTTP edge answers them before any route: a generated client must know them.
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    for (const [path, operations] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        for (const status of ["408", "417", "431"]) {
          expect(operation.responses[status], `${method} ${path} ${status}`).toMatchObject({
            content: { "application/problem+json": expect.anything() },
          });
        }
      }
    }
  });

  it("says in the description each rule the schema cannot state: decimals, id bounds, names", async () => {
    // A generated client's own checks pass "10.555", 9999999999999999 and "  ", which the server
    // refuses with 400: the description is the one place that can tell its author why.
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    type Schema = { $ref?: string; description?: string; properties?: Record<string, Schema> };
    const resolve = (schema: Schema): Schema =>
      schema.$ref
        ? (body.components.schemas[schema.$ref.split("/").at(-1) ?? ""] as Schema)
        : schema;
    const requestFields = (path: string) => {
      const operation = body.paths[path]?.post as unknown as {
        requestBody: { content: { "application/json": { schema: Schema } } };
      };
      return resolve(operation.requestBody.content["application/json"].schema).properties ?? {};
    };
    const register = requestFields("/register");
    const loan = requestFields("/create-loan");
    expect(register.first_name?.description).toMatch(/^Trimmed .*no control characters/);
    expect(register.last_name?.description).toMatch(/^Trimmed /);
    expect(register.monthly_income?.description).toMatch(/at most 2 decimal places/);
    expect(loan.loan_amount?.description).toMatch(/at most 2 decimal places/);
    expect(loan.interest_rate?.description).toMatch(/at most 2 decimal places/);
    // 0.01 over 600 months passes the schema (> 0, 2 decimals) and is a 400: its EMI is 0.00.
    expect(loan.loan_amount?.description).toMatch(/monthly instalment .*round to 0\.00/);
    const viewLoan = body.paths["/view-loan/{loan_id}"]?.get as unknown as {
      parameters: { name: string; description?: string; schema: Schema }[];
    };
    const loanId = viewLoan.parameters.find((parameter) => parameter.name === "loan_id");
    expect(loanId?.description ?? loanId?.schema.description).toMatch(
      new RegExp(`at most ${Number.MAX_SAFE_INTEGER}`),
    );
  });

  // Typed as strings, every generated client took `String(loanId)` for an id the API gives as a
  // number; the bounds are the route's (a non-numeric id is still its 400, named).
  it("types every numeric path id as an integer from 1 to the largest safe integer", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    type Parameter = { name: string; in: string; schema: Record<string, unknown> };
    const ids = Object.values(body.paths)
      .flatMap((operations) => Object.values(operations))
      .flatMap((operation) => (operation as { parameters?: Parameter[] }).parameters ?? [])
      .filter((parameter) => parameter.in === "path" && parameter.name !== "decision_id");
    expect(new Set(ids.map((parameter) => parameter.name))).toEqual(
      new Set(["customer_id", "loan_id"]),
    );
    for (const { name, schema } of ids) {
      expect(schema, name).toMatchObject({
        type: "integer",
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        example: expect.any(Number),
      });
      expect(schema, name).not.toHaveProperty("pattern");
    }
  });

  it("still answers a path id that is no positive safe integer 400, naming it", async () => {
    for (const [id, message] of [
      ["abc", "must be a positive integer"],
      ["0", "must be a positive integer"],
      ["1.5", "must be a positive integer"],
      ["-3", "must be a positive integer"],
      [String(Number.MAX_SAFE_INTEGER + 1), "is too large"],
    ]) {
      const body = await expectProblem(await call(`/view-loan/${id}`), 400, "loan_id");
      expect(body.errors, id).toEqual([{ field: "loan_id", message }]);
    }
  });

  // A reference page or a generator groups operations by tag, and shows a tag's description only
  // from the document's own list: the four groups came without a word of what each holds.
  it("describes each tag the operations use, and no other", async () => {
    const { body } = await callJson<OpenApiDocument & { tags?: unknown }>("/openapi.json");
    const used = new Set(
      Object.values(body.paths)
        .flatMap((operations) => Object.values(operations))
        .flatMap((operation) => (operation as { tags?: string[] }).tags ?? []),
    );
    const declared = (body.tags ?? []) as { name: string; description?: string }[];
    expect(new Set(declared.map((tag) => tag.name))).toEqual(used);
    for (const tag of declared) expect(tag.description, tag.name).toMatch(/\w{3}/);
  });

  it("gives Idempotency-Key no example, which the reference page would send for every caller", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    type Parameter = { name?: string; example?: unknown; schema?: { example?: unknown } };
    const keys = Object.values(body.paths)
      .flatMap((operations) => Object.values(operations))
      .flatMap((operation) => (operation as { parameters?: Parameter[] }).parameters ?? [])
      .filter((parameter) => parameter.name?.toLowerCase() === "idempotency-key");
    expect(keys.length).toBeGreaterThanOrEqual(2); // create-loan and make-payment
    for (const key of keys) {
      expect(key.example ?? key.schema?.example).toBeUndefined();
    }
  });

  it("declares a 429 on exactly the operations the write rate limit counts", async () => {
    // Two lists that must agree: the routes' contracts (rateLimitedProblemResponses) and the
    // limiter's paths (src/lib/security/paths.ts).
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    for (const [path, operations] of Object.entries(body.paths)) {
      const concrete = path.replace(/\{[^}]+\}/g, "1");
      for (const [method, operation] of Object.entries(operations)) {
        const declared = "429" in operation.responses;
        expect(declared, `${method} ${path}`).toBe(
          isRateLimitedWrite(method.toUpperCase(), concrete),
        );
      }
    }
  });

  it("declares the body's refusals (413, 415) on exactly the operations that take a body", async () => {
    // The body limit and the Content-Encoding check skip a GET's body: a GET never answers them.
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    for (const [path, operations] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const takesBody = operation.requestBody !== undefined;
        expect("413" in operation.responses, `${method} ${path}: 413`).toBe(takesBody);
        expect("415" in operation.responses, `${method} ${path}: 415`).toBe(takesBody);
      }
    }
  });

  it("describes a decision's 404 as an unknown decision, not a customer or loan", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    const notFound = body.paths["/decisions/{decision_id}"]?.get?.responses["404"] as {
      description: string;
    };
    expect(notFound.description).toBe("Unknown decision");
  });

  it("describes each operation's 404 by what it looks up", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    const notFound = Object.fromEntries(
      Object.entries(body.paths).flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, operation]) => [
          `${method.toUpperCase()} ${path}`,
          (operation.responses["404"] as { description: string }).description,
        ]),
      ),
    );
    // One text for all said "Unknown customer or loan" where neither (register) or one is read.
    expect(notFound).toEqual({
      "POST /register": "Not found",
      "POST /check-eligibility": "Unknown customer",
      "POST /create-loan": "Unknown customer",
      "GET /view-loan/{loan_id}": "Unknown loan",
      "GET /view-loans/{customer_id}": "Unknown customer",
      "POST /make-payment/{customer_id}/{loan_id}": "The customer has no such loan",
      "GET /view-statement/{customer_id}/{loan_id}": "The customer has no such loan",
      "GET /decisions/{decision_id}": "Unknown decision",
      "GET /customers/{customer_id}/decisions": "Unknown customer",
    });
  });

  // Said "One 503 carries no Retry-After" (no id left) while a damaged database's 503 sends none too.
  it("names in each 503's description both 503s that carry no Retry-After", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    for (const [path, operations] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const { description } = operation.responses["503"] as { description: string };
        expect(description, `${method} ${path}`).toMatch(/no Retry-After.*damaged.*no id left/);
      }
    }
  });

  // A write whose connection was lost after it was sent may have committed: the document said only
  // "retry after Retry-After", so a client retrying a create-loan without a key booked it twice.
  it("tells each write's 503 that an unconfirmed write may have been done, and how to retry it", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    for (const [path, operations] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const { description } = operation.responses["503"] as { description: string };
        const where = `${method} ${path}`;
        const [withRetryAfter = "", without = ""] = description.split("carry no Retry-After");
        if (!isRateLimitedWrite(method.toUpperCase(), path.replace(/\{[^}]+\}/g, "1"))) {
          expect(description, where).not.toMatch(/did not confirm|WRITE_RATE_LIMITER/);
          continue;
        }
        expect(description, where).toMatch(
          /did not confirm this write.*may or may not have been done.*same Idempotency-Key.*without one, check whether it was done/,
        );
        // The rate limiter's 503 carries Retry-After: it was listed after the two that do not.
        expect(withRetryAfter, where).toMatch(/WRITE_RATE_LIMITER/);
        expect(without, where).not.toMatch(/WRITE_RATE_LIMITER|did not confirm/);
      }
    }
  });

  // A client told apart make-payment's 422s, or a 503's kinds, only from docs/api.md's table.
  it("names every problem type, with its status, in the Problem schema's type", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    const problem = body.components.schemas.Problem as {
      properties: { type: { description?: string } };
    };
    const description = problem.properties.type.description ?? "";
    for (const [kind, { status }] of Object.entries(CATALOGUE)) {
      expect(description, kind).toContain(`/problems/${kind} (${status})`);
    }
  });

  // A workbook loan whose recorded count covers its tenure closes on its last due date, years ahead.
  it("describes a recorded loan's closed_on as a date that can lie after the decision", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    const loan = body.components.schemas.DecisionInputLoan as {
      properties: Record<string, { description?: string }>;
    };
    const description = loan.properties.closed_on?.description;
    expect(description).not.toMatch(/if it was before the decision/);
    expect(description).toMatch(/can lie after the decision/);
  });

  it("declares monthly_installment_basis on the loan and statement answers as one named type", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    for (const name of ["LoanSummary", "LoanDetail", "Statement"]) {
      const schema = body.components.schemas[name] as {
        properties: Record<string, { $ref?: string }>;
        required: string[];
      };
      expect(schema.properties.monthly_installment_basis, name).toEqual({
        $ref: "#/components/schemas/MonthlyInstallmentBasis",
      });
      expect(schema.required, name).toContain("monthly_installment_basis");
    }
  });

  it("names every operation with a unique operationId, for a generated client's method names", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    const ids = Object.entries(body.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(
        ([method, operation]) =>
          `${method} ${path} ${(operation as { operationId?: string }).operationId}`,
      ),
    );
    expect(ids.sort()).toEqual([
      "get /customers/{customer_id}/decisions listCustomerDecisions",
      "get /decisions/{decision_id} viewDecision",
      "get /view-loan/{loan_id} viewLoan",
      "get /view-loans/{customer_id} viewLoans",
      "get /view-statement/{customer_id}/{loan_id} viewStatement",
      "post /check-eligibility checkEligibility",
      "post /create-loan createLoan",
      "post /make-payment/{customer_id}/{loan_id} makePayment",
      "post /register register",
    ]);
  });

  it("declares x-d1-bookmark on the reads' requests and on every response", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    const components = body.components as unknown as {
      parameters: Record<string, { name: string; in: string }>;
      headers: Record<string, unknown>;
    };
    expect(components.parameters.D1Bookmark).toMatchObject({ name: "x-d1-bookmark", in: "header" });
    expect(components.headers).toHaveProperty("D1Bookmark");
    const readers: string[] = [];
    for (const [path, operations] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const { parameters = [], responses } = operation as {
          parameters?: { $ref?: string }[];
          responses: Record<string, { headers?: Record<string, { $ref: string }> }>;
        };
        if (parameters.some((p) => p.$ref === "#/components/parameters/D1Bookmark")) {
          readers.push(`${method} ${path}`);
        }
        for (const [status, response] of Object.entries(responses)) {
          expect(response.headers?.["x-d1-bookmark"], `${method} ${path} ${status}`).toEqual({
            $ref: "#/components/headers/D1Bookmark",
          });
        }
      }
    }
    expect(readers.sort()).toEqual([
      "get /customers/{customer_id}/decisions",
      "get /decisions/{decision_id}",
      "get /view-loan/{loan_id}",
      "get /view-loans/{customer_id}",
      "get /view-statement/{customer_id}/{loan_id}",
      "post /check-eligibility",
    ]);
  });

  // The API echoes a caller's own X-Request-Id, but only its responses declared the header.
  it("declares X-Request-Id on every request, with the rule by which the API echoes it", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    type Parameter = { name: string; in: string; schema: { maxLength: number; pattern: string } };
    const components = body.components as unknown as { parameters: Record<string, Parameter> };
    const parameter = components.parameters.RequestId as Parameter;
    expect(parameter).toMatchObject({ name: "X-Request-Id", in: "header", required: false });
    for (const [path, operations] of Object.entries(body.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const { parameters = [] } = operation as { parameters?: { $ref?: string }[] };
        expect(parameters, `${method} ${path}`).toContainEqual({
          $ref: "#/components/parameters/RequestId",
        });
      }
    }
    const { maxLength, pattern } = parameter.schema;
    const longest = "a".repeat(maxLength);
    const offered = [longest, `${longest}a`, "batch-7_row=12", "batch 7", "batch.7"];
    for (const id of offered) {
      const declaredSafe = id.length <= maxLength && new RegExp(pattern).test(id);
      const response = await call("/api", { headers: { "X-Request-Id": id } });
      expect(response.headers.get("X-Request-Id") === id, id).toBe(declaredSafe);
    }
  });

  it("resolves every $ref in the document", async () => {
    const { body } = await callJson<OpenApiDocument>("/openapi.json");
    const refs = [
      ...JSON.stringify(body).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g),
    ].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(body.components.schemas).toHaveProperty(ref);
  });

  // A 429 was declared on every operation, though only these three are rate limited.
  it("declares 429 on the rate-limited writes only", async () => {
    const { body: document } = await callJson<OpenApiDocument>("/openapi.json");
    const withTooMany = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => "429" in operation.responses)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(withTooMany.sort()).toEqual([
      "POST /create-loan",
      "POST /make-payment/{customer_id}/{loan_id}",
      "POST /register",
    ]);
  });

  // The pattern allowed 101-999, which the server refuses: a generated client's check let them by.
  it("declares the decision list's limit as exactly the range the server takes", async () => {
    const { body: document } = await callJson<OpenApiDocument>("/openapi.json");
    const list = document.paths["/customers/{customer_id}/decisions"]?.get as unknown as
      | { parameters: { name: string; schema: { pattern: string } }[] }
      | undefined;
    const parameters = list?.parameters ?? [];
    const pattern = new RegExp(parameters.find((p) => p.name === "limit")?.schema.pattern ?? "");
    const accepted = ["0", "1", "99", "100", "101", "999", "01"].filter((v) => pattern.test(v));
    expect(accepted).toEqual(["1", "99", "100"]);
  });

  it("declares only the fields every make-payment problem really carries as required", async () => {
    // A client generated from the document trusts its `required`: a problem without a declared
    // field breaks strict deserialisers and types the field as always there when it is not.
    const { body: document } = await callJson<OpenApiDocument>("/openapi.json");
    const { customerId, loanId } = await customerWithLoan();
    const headers = { "Idempotency-Key": `declared-${crypto.randomUUID()}` };
    expect((await pay(customerId, loanId, 8884.88, headers)).status).toBe(201);
    const answers = [
      await pay(customerId, loanId, 9000, headers), // the key reused with another amount
      await pay(customerId, loanId, 1), // below the period's interest
      await pay(customerId, loanId, 10_000_000), // above the payoff
    ];
    for (const { status, body } of answers) {
      const declared = requiredFields(document, "/make-payment/{customer_id}/{loan_id}", status);
      expect(declared, `${status} ${body.type}`).toContain("type");
      for (const field of declared) expect(body, `${status} ${body.type}`).toHaveProperty(field);
    }
  });

  // One schema served both answers, so a client generated from the document (and the typed
  // client) typed a booked loan's id and dates as nullable, like a refusal's.
  it("declares a booked loan's id and dates as always there, and a refusal's as null", async () => {
    const { body: document } = await callJson<OpenApiDocument>("/openapi.json");
    const { customer_id } = await registerCustomer();
    const request = { customer_id, interest_rate: 14, tenure: 12 };
    const booked = await callJson("/create-loan", { body: { ...request, loan_amount: 100_000 } });
    const refused = await callJson("/create-loan", { body: { ...request, loan_amount: 1e8 } });
    expect([booked.status, refused.status]).toEqual([201, 200]);
    for (const { status, body } of [booked, refused]) {
      for (const field of ["loan_id", "start_date", "end_date"]) {
        const declared = declaredTypes(document, "/create-loan", status, field);
        const sent =
          body[field] === null ? "null" : Number.isInteger(body[field]) ? "integer" : "string";
        expect(declared, `${status} ${field}`).toEqual([sent]);
      }
    }
  });

  it("declares the headers the responses carry: request id, replay, Retry-After, Allow", async () => {
    // Only declared headers reach a generated client; a required one must be sent.
    const { body: document } = await callJson<OpenApiDocument>("/openapi.json");
    const { customerId, loanId } = await customerWithLoan();
    const key = { "Idempotency-Key": `headers-${crypto.randomUUID()}` };
    const payment = `/make-payment/${customerId}/${loanId}`;
    const apiKeys = { API_KEYS: `sha256:${bytesToHex(await sha256("openapi-test-key"))}` };
    const limited = writeLimit(1);
    await call("/register", { env: limited, body: {} });
    // create-loan's 409 at the loan bound comes without Retry-After: no retry helps.
    const atBound = (await registerCustomer({ monthly_income: 900_000 })).customer_id;
    await seedWideRepaidLoans(atBound, 9_007_197_000_000_000, LOANS_PER_CUSTOMER_AT_MOST);
    const atBoundBody = {
      customer_id: atBound,
      loan_amount: 10_000,
      interest_rate: 14,
      tenure: 12,
    };
    const answers: [string, string, Response][] = [
      [
        "/make-payment/{customer_id}/{loan_id}",
        "post",
        await call(payment, { body: { amount: 8884.88 }, headers: key }),
      ],
      [
        "/make-payment/{customer_id}/{loan_id}",
        "post",
        await call(payment, { body: { amount: 8884.88 }, headers: key }),
      ],
      ["/register", "post", await call("/register", { method: "PUT", body: {} })],
      ["/view-loan/{loan_id}", "get", await call("/view-loan/99999999")],
      ["/view-loan/{loan_id}", "get", await call("/view-loan/1", { env: apiKeys })],
      ["/register", "post", await call("/register", { env: limited, body: {} })],
      [
        "/check-eligibility",
        "post",
        await call("/check-eligibility", { body: {}, headers: { "Content-Encoding": "gzip" } }),
      ],
      ["/create-loan", "post", await call("/create-loan", { body: atBoundBody })],
      ["/check-eligibility", "post", await call("/check-eligibility", { body: atBoundBody })],
      // A 503 without Retry-After: no id left below 2^53 (test/routes/id-range.test.ts).
      ["/register", "post", await registerWithNoIdLeft((await registerCustomer()).customer_id)],
    ];
    expect(answers.map(([, , response]) => response.status)).toEqual([
      201, 201, 405, 404, 401, 429, 415, 409, 409, 503,
    ]);
    // Accept-Encoding: the 415 of a compressed body says which coding to send instead.
    const tracked = [
      "X-Request-Id",
      "Idempotent-Replayed",
      "Retry-After",
      "Allow",
      "WWW-Authenticate",
      "Accept-Encoding",
    ];
    for (const [path, method, response] of answers) {
      const declared = document.paths[path]?.[method]?.responses[String(response.status)] as {
        headers?: Record<string, { required?: boolean }>;
      };
      const where = `${method} ${path} ${response.status}`;
      for (const name of tracked) {
        if (response.headers.has(name)) expect(declared.headers, where).toHaveProperty([name]);
      }
      for (const [name, header] of Object.entries(declared.headers ?? {})) {
        if (header.required) expect(response.headers.has(name), `${where} ${name}`).toBe(true);
      }
    }
  });

  // A browser on another origin reads only the headers CORS exposes: Allow (405) and
  // WWW-Authenticate (401) were declared, required, and read as null there.
  it("exposes to an allowed origin every response header the document declares", async () => {
    const { body: document } = await callJson<OpenApiDocument>("/openapi.json");
    const declared = new Set<string>();
    for (const operations of Object.values(document.paths)) {
      for (const operation of Object.values(operations)) {
        for (const response of Object.values(operation.responses)) {
          const { headers = {} } = response as { headers?: Record<string, unknown> };
          for (const name of Object.keys(headers)) declared.add(name.toLowerCase());
        }
      }
    }
    expect([...declared]).toEqual(expect.arrayContaining(["allow", "www-authenticate"]));
    const response = await call("/view-loans/1", {
      env: { CORS_ORIGINS: "https://lender.example" },
      headers: { Origin: "https://lender.example" },
    });
    const exposed = (response.headers.get("access-control-expose-headers") ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase());
    expect(exposed.sort()).toEqual([...declared].sort());
  });

  // A generator makes a type of each inline enum and object where it stands: the loan status was
  // four enums (LoanDetailStatus, LoanSummaryStatus, PaymentResultStatus, StatementStatus).
  it("names each value set and nested object once, so that a generated client has one type each", async () => {
    const { body: document } = await callJson<OpenApiDocument>("/openapi.json");
    type Schema = {
      $ref?: string;
      enum?: unknown[];
      properties?: Record<string, Schema>;
      items?: Schema;
      allOf?: Schema[];
    };
    const enums = new Map<string, string[]>();
    const inlineObjects: string[] = [];
    const walk = (schema: Schema, where: string, top: boolean) => {
      if (schema.$ref) return;
      if (schema.enum && schema.enum.length > 1 && !top) {
        const values = JSON.stringify([...schema.enum].sort());
        enums.set(values, [...(enums.get(values) ?? []), where]);
      }
      if (schema.properties && !top) inlineObjects.push(where);
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        walk(property, `${where}.${name}`, false);
      }
      if (schema.items) walk(schema.items, `${where}[]`, false);
      for (const part of schema.allOf ?? []) walk(part, where, top);
    };
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      walk(schema as Schema, name, true);
    }
    expect(inlineObjects).toEqual([]);
    const repeated = [...enums.values()].filter((places) => places.length > 1);
    expect(repeated).toEqual([]);
    expect(document.components.schemas).toHaveProperty("LoanStatus");
  });

  it("serves the interactive reference at /docs", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    expect(await response.text()).toContain('data-url="/openapi.json"');
  });
});

/** The required properties of a POST response's problem+json schema, through `$ref` and `allOf`. */
function requiredFields(document: OpenApiDocument, path: string, status: number): string[] {
  const response = document.paths[path]?.post?.responses[String(status)] as {
    content: Record<string, { schema: SchemaObject }>;
  };
  const collect = (schema: SchemaObject): string[] => {
    if (schema.$ref) {
      const name = schema.$ref.replace("#/components/schemas/", "");
      return collect(document.components.schemas[name] as SchemaObject);
    }
    return [...(schema.required ?? []), ...(schema.allOf ?? []).flatMap(collect)];
  };
  const schema = response.content["application/problem+json"]?.schema;
  return schema ? collect(schema) : [];
}

/** The JSON types a response's schema allows for one field: every allOf part must allow a type. */
function declaredTypes(
  document: OpenApiDocument,
  path: string,
  status: number,
  field: string,
): string[] {
  const response = document.paths[path]?.post?.responses[String(status)] as {
    content: Record<string, { schema: SchemaObject }>;
  };
  const collect = (schema: SchemaObject): string[][] => {
    if (schema.$ref) {
      const name = schema.$ref.replace("#/components/schemas/", "");
      return collect(document.components.schemas[name] as SchemaObject);
    }
    const own = schema.properties?.[field]?.type;
    return [...(own ? [[own].flat()] : []), ...(schema.allOf ?? []).flatMap(collect)];
  };
  const [first = [], ...rest] = collect(response.content["application/json"]?.schema ?? {});
  return first.filter((type) => rest.every((types) => types.includes(type)));
}

interface SchemaObject {
  $ref?: string;
  required?: string[];
  allOf?: SchemaObject[];
  properties?: Record<string, { type?: string | string[] }>;
}

describe("API index", () => {
  it("answers /api with links to the docs", async () => {
    const { status, body } = await callJson<Record<string, string>>("/api");
    expect(status).toBe(200);
    expect(body).toMatchObject({ docs: "/docs", openapi: "/openapi.json" });
  });

  it("serves the reference page's script locally, not from a CDN", async () => {
    const html = await (await call("/docs")).text();
    expect(html).toContain('src="/vendor/scalar-api-reference.js"');
    expect(html).not.toMatch(/https?:\/\//);
  });
});

/** A registration while customer `id` sits at 2^53 - 1, the largest id; the row is moved back. */
async function registerWithNoIdLeft(id: number): Promise<Response> {
  await backend().query(`UPDATE customers SET id = ${Number.MAX_SAFE_INTEGER} WHERE id = ?`, [id]);
  try {
    return await call("/register", { body: registration() });
  } finally {
    await backend().query(`UPDATE customers SET id = ? WHERE id = ${Number.MAX_SAFE_INTEGER}`, [
      id,
    ]);
  }
}
