import { describe, expect, it } from "vitest";
import { call, callJson, registerCustomer } from "../support/http";
import { expectProblem } from "../support/problem";
import { customerWithLoan } from "../support/servicing";

/*
 * A 404 for an id the client sent names that id in `errors`, as every other 4xx for a client's
 * input names its field: a body field by its name, a path id by its OpenAPI parameter's name.
 * Its `errors` was [] (the id was named only in the detail's prose).
 */

const UNKNOWN = 987_654_321;
const INGEST_AUTH = { Authorization: "Bearer test-ingest-token" };
const LOAN_REQUEST = { loan_amount: 10_000, interest_rate: 12, tenure: 12 };

async function expectNotFound(
  response: Response,
  detail: string,
  errors: { field: string; message: string }[],
) {
  const body = await expectProblem(response, 404);
  expect(body).toMatchObject({ type: "/problems/not-found", title: "Not found", detail });
  expect(body.errors).toEqual(errors);
}

const unknownCustomer = [{ field: "customer_id", message: "does not exist" }];

describe("a 404 for an id the client sent names its field", () => {
  it("check-eligibility and create-loan: the body's customer_id", async () => {
    for (const path of ["/check-eligibility", "/create-loan"]) {
      await expectNotFound(
        await call(path, { body: { customer_id: UNKNOWN, ...LOAN_REQUEST } }),
        `Customer ${UNKNOWN} does not exist.`,
        unknownCustomer,
      );
    }
  });

  it("view-loan: the path's loan_id", async () => {
    await expectNotFound(await call(`/view-loan/${UNKNOWN}`), `Loan ${UNKNOWN} does not exist.`, [
      { field: "loan_id", message: "does not exist" },
    ]);
  });

  it("view-loans and a customer's decisions: the path's customer_id", async () => {
    for (const path of [`/view-loans/${UNKNOWN}`, `/customers/${UNKNOWN}/decisions`]) {
      await expectNotFound(
        await call(path),
        `Customer ${UNKNOWN} does not exist.`,
        unknownCustomer,
      );
    }
  });

  it("a decision: the path's decision_id", async () => {
    const decisionId = crypto.randomUUID();
    await expectNotFound(
      await call(`/decisions/${decisionId}`),
      `Decision ${decisionId} does not exist.`,
      [{ field: "decision_id", message: "does not exist" }],
    );
  });

  it("view-statement and make-payment: both ids of a pair that does not match", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const other = await registerCustomer();
    const pairs: [number, number][] = [
      [UNKNOWN, loanId],
      [customerId, UNKNOWN],
      [other.customer_id, loanId],
    ];
    for (const [customer, loan] of pairs) {
      const errors = [
        { field: "customer_id", message: `has no loan ${loan}` },
        { field: "loan_id", message: `is not a loan of customer ${customer}` },
      ];
      const detail = `Customer ${customer} has no loan ${loan}.`;
      await expectNotFound(await call(`/view-statement/${customer}/${loan}`), detail, errors);
      await expectNotFound(
        await call(`/make-payment/${customer}/${loan}`, { body: { amount: 100 } }),
        detail,
        errors,
      );
    }
  });

  it("an ingest job's report: the path's job_id", async () => {
    await expectNotFound(
      await call("/ingest/jobs/job-never-sent", { headers: INGEST_AUTH }),
      "No ingest job job-never-sent is known.",
      [{ field: "job_id", message: "is not known" }],
    );
  });

  it("a path no route matches names no field", async () => {
    const body = await expectProblem(await call(`/view-loan/${UNKNOWN}/extra`), 404);
    expect(body.errors).toEqual([]);
  });
});

describe("the OpenAPI document's 404s", () => {
  interface Operation {
    responses: Record<string, { content?: Record<string, { example?: { errors?: unknown } }> }>;
  }

  it("show, for each operation that looks an id up, an example naming that id", async () => {
    const { body } = await callJson<{ paths: Record<string, Record<string, Operation>> }>(
      "/openapi.json",
    );
    const named = Object.fromEntries(
      Object.entries(body.paths).flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, operation]) => {
          const example =
            operation.responses["404"]?.content?.["application/problem+json"]?.example;
          const errors = (example?.errors ?? []) as { field: string }[];
          return [`${method.toUpperCase()} ${path}`, errors.map((error) => error.field)];
        }),
      ),
    );
    expect(named).toEqual({
      "POST /register": [],
      "POST /check-eligibility": ["customer_id"],
      "POST /create-loan": ["customer_id"],
      "GET /view-loan/{loan_id}": ["loan_id"],
      "GET /view-loans/{customer_id}": ["customer_id"],
      "POST /make-payment/{customer_id}/{loan_id}": ["customer_id", "loan_id"],
      "GET /view-statement/{customer_id}/{loan_id}": ["customer_id", "loan_id"],
      "GET /decisions/{decision_id}": ["decision_id"],
      "GET /customers/{customer_id}/decisions": ["customer_id"],
    });
  });
});
