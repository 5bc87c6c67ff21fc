import { describe, expect, it } from "vitest";
import { call, callJson, registerCustomer, registration } from "../support/http";
import { expectProblem } from "../support/problem";

/*
 * Which Content-Type values read as JSON. RFC 9110 §8.3.1: type and subtype are case-insensitive,
 * and each parameter follows optional whitespace, a ";" and optional whitespace, and may be empty.
 * docs/api.md: JSON is `application/json` or a JSON type ending in `+json`. A lender's HTTP stack
 * writes any of these forms; the body is read as UTF-8 whatever its charset says.
 */
const JSON_FORMS = [
  "application/json",
  "APPLICATION/JSON; CHARSET=UTF-8",
  "application/json ; charset=utf-8",
  "application/json\t;charset=utf-8",
  "application/json;",
  "application/json; charset=utf-8;",
  "application/vnd.api+json",
  "application/vnd.lender.v2+json",
  "application/vnd.lender_core+json; version=2",
];

const NOT_JSON = [
  "text/json",
  "text/plain",
  "application/jsonx",
  "application/json-seq",
  "application/json+x",
  "application/+json",
  "application/x-www-form-urlencoded",
];

describe("Content-Type of a JSON body", () => {
  it.each(JSON_FORMS)("takes %s as JSON on register", async (contentType) => {
    const response = await callJson("/register", {
      body: registration(),
      headers: { "Content-Type": contentType },
    });
    expect(response.status).toBe(201);
  });

  it.each(JSON_FORMS)("takes %s as JSON on check-eligibility", async (contentType) => {
    const { customer_id } = await registerCustomer();
    const response = await callJson("/check-eligibility", {
      body: { customer_id, loan_amount: 100_000, interest_rate: 12, tenure: 12 },
      headers: { "Content-Type": contentType },
    });
    expect(response.status).toBe(200);
  });

  it.each(NOT_JSON)(
    "answers %s with 415 naming Content-Type, registering no one",
    async (contentType) => {
      const body = registration();
      const response = await call("/register", {
        body,
        headers: { "Content-Type": contentType },
      });
      await expectProblem(response, 415, "Content-Type");
      // The same phone number registers afterwards: the 415 wrote nothing.
      expect((await call("/register", { body })).status).toBe(201);
    },
  );

  it("reads the ingest endpoint's Content-Type by the same rule", async () => {
    const ingest = (contentType: string) =>
      call("/ingest/batches", {
        body: { messages: [] },
        headers: { Authorization: "Bearer test-ingest-token", "Content-Type": contentType },
      });
    const asJson = (await ingest("application/json")).status;
    expect(asJson).not.toBe(415);
    for (const contentType of JSON_FORMS) {
      expect((await ingest(contentType)).status, contentType).toBe(asJson);
    }
    for (const contentType of NOT_JSON) {
      await expectProblem(await ingest(contentType), 415, "Content-Type");
    }
  });
});
