import { describe, expect, it } from "vitest";
import { call, callJson, uniquePhone } from "../support/http";
import { expectProblem } from "../support/problem";

const valid = () => ({
  first_name: "  Asha ",
  last_name: "Verma",
  age: 30,
  monthly_income: 47_000,
  phone_number: uniquePhone(),
});

describe("POST /register", () => {
  it("registers a customer with a limit of 36 × income rounded to the lakh, names trimmed", async () => {
    const body = valid();
    const response = await callJson("/register", { body });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      customer_id: expect.any(Number),
      name: "Asha Verma",
      age: 30,
      monthly_income: 47_000,
      approved_limit: 1_700_000,
      phone_number: body.phone_number,
    });
    expect(Number.isInteger(response.body.customer_id)).toBe(true);
  });

  it.each(["/register/", "/api/register", "/api/register/"])("is served at %s", async (path) => {
    const response = await call(path, { body: valid() });
    expect(response.status).toBe(201);
  });

  it("keeps paise exact and phone numbers above 2^31", async () => {
    const phone = 9_876_543_210;
    const response = await callJson("/register", {
      body: { ...valid(), monthly_income: 12_345.67, phone_number: phone },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      monthly_income: 12_345.67,
      approved_limit: 400_000,
      phone_number: phone,
    });
  });

  it("refuses a phone number already on file with 409", async () => {
    const body = valid();
    expect((await call("/register", { body })).status).toBe(201);
    const duplicate = await call("/register", {
      body: { ...valid(), phone_number: body.phone_number },
    });
    await expectProblem(duplicate, 409, "phone_number");
  });

  it.each([
    ["first_name", { first_name: "   " }],
    ["first_name", { first_name: "x".repeat(101) }],
    ["last_name", { last_name: 42 }],
    ["age", { age: 17 }],
    ["age", { age: 121 }],
    ["age", { age: 30.5 }],
    ["age", { age: "30" }],
    ["monthly_income", { monthly_income: 0 }],
    ["monthly_income", { monthly_income: -5 }],
    ["monthly_income", { monthly_income: 100.123 }],
    ["phone_number", { phone_number: 123_456 }],
    ["phone_number", { phone_number: 1_000_000_000_000_000 }],
    ["phone_number", { phone_number: "9876543210" }],
    ["age", { age: null }],
  ])("rejects a bad %s with 400 naming it", async (field, patch) => {
    await expectProblem(await call("/register", { body: { ...valid(), ...patch } }), 400, field);
  });

  it("names every missing field", async () => {
    const body = await expectProblem(await call("/register", { body: {} }), 400);
    expect(body.errors.map((e) => e.field).sort()).toEqual([
      "age",
      "first_name",
      "last_name",
      "monthly_income",
      "phone_number",
    ]);
  });

  it("answers malformed JSON with 400", async () => {
    await expectProblem(await call("/register", { rawBody: '{"first_name": "A",' }), 400, "body");
  });

  it.each(["[]", "null", '"Asha"', "42"])(
    "answers the JSON %s, which is not an object, with 400 saying the body must be one",
    async (rawBody) => {
      const problem = await expectProblem(await call("/register", { rawBody }), 400);
      expect(problem.errors).toEqual([{ field: "body", message: "must be a JSON object" }]);
    },
  );

  it("answers a body that is not JSON with 415", async () => {
    const response = await call("/register", {
      rawBody: "first_name=A",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    await expectProblem(response, 415, "Content-Type");
  });

  it("answers a body over 64 KB with 413 naming body, with or without a declared length", async () => {
    const oversized = JSON.stringify({ ...valid(), padding: "x".repeat(70_000) });
    // Its errors were empty: the one 4xx for a client's input that named nothing.
    const tooLarge = [{ field: "body", message: "must be at most 64 KB" }];
    const chunked = await expectProblem(await call("/register", { rawBody: oversized }), 413);
    expect(chunked.errors).toEqual(tooLarge);
    const declared = await call("/register", {
      rawBody: oversized,
      headers: { "Content-Type": "application/json", "Content-Length": String(oversized.length) },
    });
    expect((await expectProblem(declared, 413)).errors).toEqual(tooLarge);
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const response = await call("/register", { method: "GET" });
    await expectProblem(response, 405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("answers an unknown path with a 404 problem", async () => {
    await expectProblem(await call("/no-such-thing"), 404);
  });
});
