import { describe, expect, it } from "vitest";
import { call, callJson, registerCustomer, registration } from "../support/http";
import { chunk, customerRow } from "../support/ingest";
import { expectProblem } from "../support/problem";
import { customerWithLoan } from "../support/servicing";
import { countLoans } from "../support/table-counts";

/*
 * Input at the edges of what the API accepts: deep nesting in fields the schemas ignore, text the
 * two backends would store differently, amounts too small to repay, and encoded bodies.
 */

const deepArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const deepObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

describe("deeply nested unknown fields", () => {
  it.each([
    ["arrays 10,000", deepArrays(10_000)],
    ["objects 3,000", deepObjects(3_000)],
  ])("are hashed for an Idempotency-Key without a 5xx (%s deep)", async (_, nested) => {
    const { customer_id } = await registerCustomer();
    const key = `deep-${crypto.randomUUID()}`;
    const fields = `"customer_id":${customer_id},"loan_amount":1000,"interest_rate":14,"tenure":12`;
    const rawBody = `{${fields},"extra":${nested}}`;
    const send = (body: string) =>
      callJson("/create-loan", { rawBody: body, headers: { "Idempotency-Key": key } });

    const first = await send(rawBody);
    expect(first.status).toBe(201);
    const replay = await send(rawBody);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    // The nested value is part of the body the key is bound to.
    const changed = await call("/create-loan", {
      rawBody: `{${fields},"extra":[${nested}]}`,
      headers: { "Idempotency-Key": key },
    });
    await expectProblem(changed, 422, "Idempotency-Key");
    expect(await countLoans(customer_id)).toBe(1);
  });

  it.each(["/register", "/check-eligibility", "/create-loan"])(
    "never cause a 5xx on %s, in any field",
    async (path) => {
      for (const nested of [deepArrays(20_000), deepObjects(5_000)]) {
        for (const field of ["customer_id", "first_name", "unknown"]) {
          const response = await call(path, {
            rawBody: `{"${field}":${nested}}`,
            headers: { "Idempotency-Key": `deep-${crypto.randomUUID()}` },
          });
          await expectProblem(response, 400);
        }
      }
    },
  );

  it("never cause a 5xx on the ingest endpoint", async () => {
    for (const nested of [deepArrays(20_000), deepObjects(5_000)]) {
      for (const rawBody of [
        `{"messages":${nested}}`,
        `{"messages":[{"job_id":"deep","seq":0,"kind":"customers","rows":${nested}}]}`,
        `{"messages":[{"job_id":"deep","seq":0,"kind":"customers","rows":[${nested}],"x":${nested}}]}`,
      ]) {
        const response = await call("/ingest/batches", {
          rawBody,
          headers: { Authorization: "Bearer test-ingest-token" },
        });
        await expectProblem(response, 400);
      }
    }
  });
});

describe("names", () => {
  const register = (patch: Record<string, unknown>) =>
    call("/register", { body: registration(patch) });

  it.each([
    ["first_name", "a\u0000b"],
    ["first_name", "a\u001fb"],
    ["last_name", "a\u007fb"],
    ["last_name", "line\nbreak"],
    ["first_name", "tab\tinside"],
    ["first_name", "trailing newline\n"],
  ])("refuses %s with a control character (%j)", async (field, name) => {
    const body = await expectProblem(await register({ [field]: name }), 400, field);
    expect(body.errors.find((e) => e.field === field)?.message).toMatch(/control character/);
  });

  it.each([
    ["first_name", "a\ud800b"],
    ["last_name", "a\udc00"],
    ["first_name", "\udc00\ud800"],
  ])("refuses %s with an unpaired surrogate", async (field, name) => {
    // JSON.stringify escapes a lone surrogate as \udXXX, so the server parses exactly it.
    const body = await expectProblem(await register({ [field]: name }), 400, field);
    expect(body.errors.find((e) => e.field === field)?.message).toMatch(/unpaired surrogate/);
  });

  it("keeps paired surrogates and other unicode, and returns exactly what it stored", async () => {
    const name = "Zoë 李 😀 \u200b\u202e";
    const response = await callJson("/register", {
      body: registration({ first_name: name, last_name: "😀" }),
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ first_name: name, last_name: "😀" });
  });
});

describe("a loan whose EMI rounds to 0.00", () => {
  const tiny = (customer_id: number) => ({
    customer_id,
    loan_amount: 0.01,
    interest_rate: 10,
    tenure: 600,
  });

  it.each(["/check-eligibility", "/create-loan"])(
    "is a 400 naming loan_amount on %s",
    async (path) => {
      const { customer_id } = await registerCustomer();
      const body = await expectProblem(
        await call(path, { body: tiny(customer_id) }),
        400,
        "loan_amount",
      );
      expect(body.errors.find((e) => e.field === "loan_amount")?.message).toMatch(
        /too small for the tenure/,
      );
      expect(await countLoans(customer_id)).toBe(0);
    },
  );

  it("leaves the smallest loan that costs a paisa a month alone", async () => {
    const { customer_id } = await registerCustomer();
    // 0.01 over one month at 0 %: an EMI of exactly 0.01.
    const response = await callJson("/create-loan", {
      body: { customer_id, loan_amount: 0.01, interest_rate: 0, tenure: 1 },
    });
    expect(response.status).toBe(201);
    expect(response.body.monthly_installment).toBe(0.01);
  });
});

describe("loan terms out of range", () => {
  it.each([
    ["/check-eligibility", 0, 0],
    ["/check-eligibility", -3, 0],
    ["/create-loan", -600, 0],
    ["/create-loan", 0, 0.001],
  ])(
    "%s with tenure %d and interest_rate %s is a 400 naming tenure, not a 5xx",
    async (path, tenure, rate) => {
      const { customer_id } = await registerCustomer();
      const body = await expectProblem(
        await call(path, { body: { customer_id, loan_amount: 100, interest_rate: rate, tenure } }),
        400,
        "tenure",
      );
      // The instalment check waits for valid terms: it would otherwise divide by the tenure.
      expect(body.errors.map((e) => e.field)).not.toContain("loan_amount");
    },
  );

  it("blames only the tenure when an amount fine at every valid tenure meets one out of range", async () => {
    const { customer_id } = await registerCustomer();
    const body = await expectProblem(
      await call("/check-eligibility", {
        body: { customer_id, loan_amount: 5, interest_rate: 0, tenure: 5000 },
      }),
      400,
      "tenure",
    );
    expect(body.errors.map((e) => e.field)).toEqual(["tenure"]);
  });
});

describe("Content-Encoding", () => {
  const loanBody = async () => {
    const { customer_id } = await registerCustomer();
    return { customer_id, loan_amount: 1000, interest_rate: 14, tenure: 12 };
  };

  it.each(["gzip", "br", "deflate", "zstd", "gzip, identity", "x-unknown"])(
    "refuses a body sent with Content-Encoding: %s with 415",
    async (encoding) => {
      const body = await loanBody();
      const response = await call("/create-loan", {
        body,
        headers: { "Content-Encoding": encoding },
      });
      const problem = await expectProblem(response, 415, "Content-Encoding");
      expect(problem.detail).toMatch(/Content-Encoding/);
      expect(response.headers.get("accept-encoding")).toBe("identity");
      expect(await countLoans(body.customer_id)).toBe(0);
    },
  );

  it("refuses it on register and the ingest endpoint too", async () => {
    const headers = { "Content-Encoding": "gzip" };
    await expectProblem(
      await call("/register", { body: { first_name: "A" }, headers }),
      415,
      "Content-Encoding",
    );
    await expectProblem(
      await call("/ingest/batches", {
        body: { messages: [] },
        headers: { ...headers, Authorization: "Bearer test-ingest-token" },
      }),
      415,
      "Content-Encoding",
    );
  });

  it.each(["identity", "Identity", ""])("accepts Content-Encoding: %j", async (encoding) => {
    const response = await call("/create-loan", {
      body: await loanBody(),
      headers: { "Content-Encoding": encoding },
    });
    expect(response.status).toBe(201);
  });
});

describe("a body that is not UTF-8", () => {
  // JSON travels as UTF-8 (RFC 8259 §8.1). A byte that is no UTF-8 was read as U+FFFD and the
  // request done: a client sending Latin-1 registered "José" as "Jos\uFFFD", answered 201.
  /** The text's characters, each below U+0100, as single bytes: Latin-1 (ISO-8859-1). */
  const latin1 = (text: string) => Uint8Array.from(text, (character) => character.charCodeAt(0));
  const NOT_UTF8 = [{ field: "body", message: "is not valid UTF-8" }];

  it("refuses a name sent in Latin-1, charset label or not, and registers no one", async () => {
    const json = JSON.stringify(registration({ first_name: "José" }));
    for (const contentType of ["application/json", "application/json; charset=iso-8859-1"]) {
      const response = await call("/register", {
        rawBody: latin1(json),
        headers: { "Content-Type": contentType, "Idempotency-Key": crypto.randomUUID() },
      });
      const problem = await expectProblem(response, 400, "body");
      expect(problem.errors).toEqual(NOT_UTF8);
      expect(problem.detail).toMatch(/UTF-8/);
    }
    // Nothing was stored: the same details in UTF-8 find the phone number free, and keep the é.
    const registered = await callJson("/register", { rawBody: json });
    expect(registered.status).toBe(201);
    expect(registered.body.first_name).toBe("José");
  });

  it.each(["/check-eligibility", "/create-loan"])(
    "refuses a byte that is no UTF-8 on %s, even in a field it ignores",
    async (path) => {
      const { customer_id } = await registerCustomer();
      const fields = `"customer_id":${customer_id},"loan_amount":1000,"interest_rate":14,"tenure":12`;
      const response = await call(path, { rawBody: latin1(`{${fields},"note":"\u00ff"}`) });
      expect((await expectProblem(response, 400, "body")).errors).toEqual(NOT_UTF8);
      expect(await countLoans(customer_id)).toBe(0);
    },
  );

  it("refuses it on make-payment and the ingest endpoint too", async () => {
    const { customerId, loanId } = await customerWithLoan();
    const payment = await call(`/make-payment/${customerId}/${loanId}`, {
      rawBody: latin1('{"amount":8884.88,"note":"\u00e9"}'),
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    expect((await expectProblem(payment, 400, "body")).errors).toEqual(NOT_UTF8);
    const messages = [
      chunk(`latin1-${crypto.randomUUID()}`, 0, "customers", [customerRow(987_654)]),
    ];
    const json = JSON.stringify({ messages }).replace("First987654", "Jos\u00e9");
    const ingest = await call("/ingest/batches", {
      rawBody: latin1(json),
      headers: { Authorization: "Bearer test-ingest-token" },
    });
    expect((await expectProblem(ingest, 400, "body")).errors).toEqual(NOT_UTF8);
  });

  it("takes a UTF-8 byte order mark, and U+FFFD sent as UTF-8, as before", async () => {
    const json = JSON.stringify(registration({ first_name: "\uFFFD", last_name: "Zoë" }));
    const response = await callJson("/register", { rawBody: `\uFEFF${json}` });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ first_name: "\uFFFD", last_name: "Zoë" });
  });
});

describe("amounts with more digits than a JSON number keeps", () => {
  // docs/api.md#numbers: the 2-decimal rule sees the parsed 64-bit float, as every JSON parser in
  // JavaScript gives it; digits past its precision are gone before the rule runs.
  const loanBody = (customerId: number, amount: string) =>
    `{"customer_id":${customerId},"loan_amount":${amount},"interest_rate":14,"tenure":12}`;

  it("refuses a third decimal the float still holds, naming loan_amount", async () => {
    const { customer_id } = await registerCustomer();
    const body = await expectProblem(
      await call("/create-loan", { rawBody: loanBody(customer_id, "8884.881") }),
      400,
      "loan_amount",
    );
    expect(body.errors).toContainEqual({
      field: "loan_amount",
      message: "must have at most 2 decimal places",
    });
  });

  it("refuses 1e21 for its range alone: a whole number has no decimal places", async () => {
    // 1e21 × 100 / 100 is not 1e21 in doubles, and the 2-decimal rule said it had a third decimal.
    const { customer_id } = await registerCustomer();
    const loan = await call("/create-loan", { rawBody: loanBody(customer_id, "1e21") });
    const loanProblem = await expectProblem(loan, 400, "loan_amount");
    expect(loanProblem.errors).toEqual([
      { field: "loan_amount", message: "must be at most 1000000000" },
    ]);
    const payment = await call(`/make-payment/${customer_id}/1`, { rawBody: '{"amount":1e21}' });
    const paymentProblem = await expectProblem(payment, 400, "amount");
    expect(paymentProblem.errors).toEqual([
      { field: "amount", message: "must be at most 10000000000" },
    ]);
  });

  it("books digits past the float's precision as the float reads them", async () => {
    const { customer_id } = await registerCustomer();
    const booked = await callJson("/create-loan", {
      rawBody: loanBody(customer_id, "8884.880000000000001"),
    });
    expect(booked.status).toBe(201);
    const loan = await callJson(`/view-loan/${booked.body.loan_id}`);
    expect(loan.body.loan_amount).toBe(8884.88);
  });
});
