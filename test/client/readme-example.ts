/*
 * The README's typed-client example, verbatim from its first import line down
 * (readme-example.node.test.ts compares them). `npm run typecheck` compiles it;
 * typed-client.test.ts runs it.
 */
import { type CreditClient, createClient } from "../../src/client";

// With API keys on: createClient(url, { apiKey }). Calls and responses follow the API's contract.
export const api = createClient("http://127.0.0.1:8787");

export async function registerAndCheck(client: CreditClient = api) {
  const registered = await client.register.$post({
    json: {
      first_name: "Asha",
      last_name: "Verma",
      age: 30,
      monthly_income: 50_000,
      phone_number: 9_876_543_211,
    },
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  const customer = await registered.json(); // { customer_id, approved_limit, ... }

  const checked = await client["check-eligibility"].$post({
    json: {
      customer_id: customer.customer_id,
      loan_amount: 100_000,
      interest_rate: 10,
      tenure: 12,
    },
  });
  if (checked.status !== 200) throw new Error(`check-eligibility answered ${checked.status}`);
  const decision = await checked.json(); // { approval, corrected_interest_rate, reasons, ... }
  return { customerId: customer.customer_id, decision };
}
