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
  "GET /view-loan/{id}": 1,
  "GET /view-loans/{id}": 1,
  "POST /check-eligibility": 1,
  "POST /create-loan (booked)": 2,
  "POST /create-loan (booked, Idempotency-Key)": 2,
  "POST /create-loan (replayed)": 1,
  // The refusal writes its decision record (docs/decisions.md).
  "POST /create-loan (refused)": 2,
} as const;

type Case = keyof typeof ROUND_TRIP_BUDGETS;

const COUNT = /desc="(\d+) round trips?"/;

/**
 * Sends the eight cases once each: a fresh customer registers, then checks and books loans (a
 * fresh customer's small loan is booked); view-loan reads `loanId`, view-loans that loan's
 * customer. Five writes: the caller's rate limit must leave room for them.
 */
export async function countRoundTrips(url: string, loanId: number): Promise<RoundTripRow[]> {
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

  const registered = await send(
    "POST /register",
    201,
    "/register",
    post({
      first_name: "Round",
      last_name: "Trips",
      age: 30,
      monthly_income: 50_000,
      // 10 digits starting with 4: the lender data and the load runs use 5–9.
      phone_number: 4_000_000_000 + Math.floor(Math.random() * 1_000_000_000),
    }),
  );
  const customerId = field(registered, "customer_id");
  const loan = await send("GET /view-loan/{id}", 200, `/view-loan/${loanId}`);
  const owner = field(field(loan, "customer"), "id");
  await send("GET /view-loans/{id}", 200, `/view-loans/${owner}`);

  const request = { customer_id: customerId, loan_amount: 50_000, interest_rate: 14, tenure: 24 };
  const key = { "Idempotency-Key": `bench-${Date.now()}` };
  await send("POST /check-eligibility", 200, "/check-eligibility", post(request));
  await send("POST /create-loan (booked)", 201, "/create-loan", post(request));
  await send(
    "POST /create-loan (booked, Idempotency-Key)",
    201,
    "/create-loan",
    post(request, key),
  );
  await send("POST /create-loan (replayed)", 201, "/create-loan", post(request, key));
  await send(
    "POST /create-loan (refused)",
    200,
    "/create-loan",
    post({ ...request, loan_amount: 900_000_000 }),
  );
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
