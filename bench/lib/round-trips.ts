/*
 * D1 round trips per request, counted live: one request per endpoint case, in order, against a
 * Worker started with SERVER_TIMING=true, each count read from its Server-Timing header
 * (src/worker/server-timing.ts). The budgets are the ones test/routes/round-trips.test.ts enforces.
 */

export interface RoundTripRow {
  endpoint: string;
  budget: number;
  /** From the Server-Timing header; null when the response carried none. */
  counted: number | null;
  status: number;
  /** The status the case is meant to produce (a booked loan is 201, a refusal 200). */
  expected_status: number;
}

/** The budgets test/routes/round-trips.test.ts enforces, per endpoint case. */
const ROUND_TRIP_BUDGETS = {
  "POST /register": 1,
  "POST /register (Idempotency-Key)": 1,
  // The write comes first and finds the phone number on file; then the key's record is read.
  "POST /register (replayed)": 2,
  "GET /view-loan/{id}": 1,
  "GET /view-loans/{id}": 1,
  "POST /check-eligibility": 1,
  "POST /create-loan (booked)": 2,
  "POST /create-loan (booked, Idempotency-Key)": 2,
  "POST /create-loan (replayed)": 1,
  // The refusal writes its decision record (docs/decisions.md).
  "POST /create-loan (refused)": 2,
  "POST /make-payment/{customer}/{loan}": 2,
  "POST /make-payment/{customer}/{loan} (Idempotency-Key)": 2,
  "POST /make-payment/{customer}/{loan} (replayed)": 1,
  "POST /make-payment/{customer}/{loan} (refused)": 1,
  "GET /view-statement/{customer}/{loan}": 1,
  "GET /decisions/{id}": 1,
  "GET /customers/{id}/decisions": 1,
  "GET /readyz": 1,
} as const;

type Case = keyof typeof ROUND_TRIP_BUDGETS;

const COUNT = /desc="(\d+) round trips?"/;

/**
 * Sends every endpoint case once, in order, on data of its own (so an empty database will do): a
 * fresh customer registers, checks and books loans, pays the booked one and reads it all back.
 * Fourteen writes: the caller's rate limit must leave room for them.
 */
export async function countRoundTrips(url: string): Promise<RoundTripRow[]> {
  const rows: RoundTripRow[] = [];
  const send = async (name: Case, expected: number, path: string, init: RequestInit = {}) => {
    const response = await fetch(`${url}${path}`, {
      ...init,
      headers: { "Content-Type": "application/json", ...init.headers },
    });
    const body: unknown = await response.json();
    const match = COUNT.exec(response.headers.get("Server-Timing") ?? "");
    rows.push({
      endpoint: name,
      budget: ROUND_TRIP_BUDGETS[name],
      counted: match?.[1] === undefined ? null : Number(match[1]),
      status: response.status,
      expected_status: expected,
    });
    return body;
  };
  const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method: "POST",
    body: JSON.stringify(body),
    headers,
  });
  const keyed = (name: string) => ({ "Idempotency-Key": `bench-${name}-${crypto.randomUUID()}` });
  const customer = (phone_number: number) => ({
    first_name: "Round",
    last_name: "Trips",
    age: 30,
    monthly_income: 50_000,
    phone_number,
  });
  // 10 digits starting with 4: the lender data and the load runs use 5–9.
  const phone = 4_000_000_000 + Math.floor(Math.random() * 999_000_000);

  const registered = await send("POST /register", 201, "/register", post(customer(phone)));
  const registerKey = keyed("register");
  const keyedCustomer = post(customer(phone + 1), registerKey);
  await send("POST /register (Idempotency-Key)", 201, "/register", keyedCustomer);
  await send("POST /register (replayed)", 201, "/register", keyedCustomer);

  const customerId = field(registered, "customer_id");
  const request = { customer_id: customerId, loan_amount: 50_000, interest_rate: 14, tenure: 24 };
  const loanKey = keyed("create-loan");
  await send("POST /check-eligibility", 200, "/check-eligibility", post(request));
  const booked = await send("POST /create-loan (booked)", 201, "/create-loan", post(request));
  const bookWithKey = post(request, loanKey);
  await send("POST /create-loan (booked, Idempotency-Key)", 201, "/create-loan", bookWithKey);
  await send("POST /create-loan (replayed)", 201, "/create-loan", bookWithKey);
  const refusal = post({ ...request, loan_amount: 900_000_000 });
  const refused = await send("POST /create-loan (refused)", 200, "/create-loan", refusal);

  const loanId = field(booked, "loan_id");
  await send("GET /view-loan/{id}", 200, `/view-loan/${loanId}`);
  await send("GET /view-loans/{id}", 200, `/view-loans/${customerId}`);

  // ₹1,000 covers the first period's interest on ₹50,000 at 14 %; ₹1 does not (a 422).
  const payPath = `/make-payment/${customerId}/${loanId}`;
  const payment = post({ amount: 1000 }, keyed("make-payment"));
  await send("POST /make-payment/{customer}/{loan}", 201, payPath, post({ amount: 1000 }));
  await send("POST /make-payment/{customer}/{loan} (Idempotency-Key)", 201, payPath, payment);
  await send("POST /make-payment/{customer}/{loan} (replayed)", 201, payPath, payment);
  await send("POST /make-payment/{customer}/{loan} (refused)", 422, payPath, post({ amount: 1 }));
  await send(
    "GET /view-statement/{customer}/{loan}",
    200,
    `/view-statement/${customerId}/${loanId}`,
  );

  await send("GET /decisions/{id}", 200, `/decisions/${field(refused, "decision_id")}`);
  await send("GET /customers/{id}/decisions", 200, `/customers/${customerId}/decisions?limit=2`);
  await send("GET /readyz", 200, "/readyz");
  return rows;
}

/** What a reader must know about the counts: over budget, missing, or not the intended case. */
export function roundTripNotes(rows: RoundTripRow[]): string[] {
  const notes: string[] = [];
  for (const row of rows) {
    if (row.counted === null) {
      notes.push(`${row.endpoint}: no Server-Timing header (is SERVER_TIMING=true?)`);
    } else if (row.counted > row.budget) {
      notes.push(
        `${row.endpoint}: ${row.counted} D1 round trips counted, over the budget of ${row.budget}`,
      );
    }
    if (row.status !== row.expected_status) {
      notes.push(
        `${row.endpoint}: answered ${row.status}, expected ${row.expected_status}; its count is not for the intended case`,
      );
    }
  }
  return notes;
}

function field(value: unknown, name: string): unknown {
  if (typeof value === "object" && value !== null && name in value) {
    return (value as Record<string, unknown>)[name];
  }
  throw new Error(`round trips: expected "${name}" in ${JSON.stringify(value)?.slice(0, 300)}`);
}
