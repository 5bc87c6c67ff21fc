/*
 * A client generated from GET /openapi.json, as a TypeScript project under "moduleResolution":
 * "NodeNext" (which cannot import src/client.ts) writes it: `npx openapi-typescript
 * <url>/openapi.json -o credit-api.d.ts`, then openapi-fetch over those types. The README points
 * here. generated-client.node.test.ts generates ./credit-api.d.ts from the app's own document,
 * compiles this file against it under NodeNext and strict, and runs it against the app.
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./credit-api.js";

export type CreditApi = Client<paths>;

// With API keys on: createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } }).
export const api: CreditApi = createClient<paths>({ baseUrl: "http://127.0.0.1:8787" });

/** Registers a customer, checks a loan for them, and books it with an Idempotency-Key. */
export async function registerCheckAndBook(client: CreditApi = api) {
  const registered = await client.POST("/register", {
    body: {
      first_name: "Meera",
      last_name: "Nair",
      age: 34,
      monthly_income: 60_000,
      phone_number: 9_812_345_670,
    },
  });
  // `data` is the 2xx body, `error` any other status's problem+json body.
  if (registered.error) throw new Error(`register answered ${registered.response.status}`);
  const customerId: number = registered.data.customer_id;

  const loan = { customer_id: customerId, loan_amount: 100_000, interest_rate: 10, tenure: 12 };
  const checked = await client.POST("/check-eligibility", { body: loan });
  if (checked.error) throw new Error(`check-eligibility answered ${checked.error.status}`);
  const approved: boolean = checked.data.approval;
  const correctedRate: number = checked.data.corrected_interest_rate;

  // The same key with the same body returns the first answer for 24 hours: retries are safe.
  const key = crypto.randomUUID();
  const booked = await client.POST("/create-loan", {
    body: loan,
    params: { header: { "idempotency-key": key } },
  });
  if (booked.error) throw new Error(`create-loan answered ${booked.error.status}`);
  // 201 books the loan, 200 refuses it: loan_approved tells the two bodies apart.
  if (booked.response.status !== 201 || !booked.data.loan_approved) {
    throw new Error(`create-loan refused: ${booked.data.message}`);
  }
  const loanId: number = booked.data.loan_id;
  const endDate: string = booked.data.end_date;

  // The same key with another body is refused: 422, problem+json, naming what to change.
  const reused = await client.POST("/create-loan", {
    body: { ...loan, tenure: 24 },
    params: { header: { "idempotency-key": key } },
  });
  const reuseErrors: { field: string; message: string }[] =
    reused.response.status === 422 && reused.error ? reused.error.errors : [];

  return { customerId, approved, correctedRate, loanId, endDate, reuseErrors };
}

/**
 * A loan's statement; or, for a loan stored by an older release whose schedule runs past
 * 9999-12-31, view-statement's 409 and the last date it can write (view-loan shows such a loan).
 */
export async function statementOf(customerId: number, loanId: number, client: CreditApi = api) {
  const { data, error, response } = await client.GET("/view-statement/{customer_id}/{loan_id}", {
    params: { path: { customer_id: customerId, loan_id: loanId } },
  });
  if (data) {
    const outstanding: number = data.outstanding_principal;
    const dueDates: string[] = data.schedule.map((period) => period.due_date);
    const instalmentBasis: "workbook" | "schedule" = data.monthly_installment_basis;
    return { outstanding, dueDates, instalmentBasis };
  }
  if (response.status === 409 && "last_schedule_date" in error) {
    const lastScheduleDate: string = error.last_schedule_date;
    return { type: error.type, lastScheduleDate };
  }
  throw new Error(`view-statement answered ${response.status}: ${error.detail}`);
}
