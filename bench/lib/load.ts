/*
 * The endpoints under load: one run per endpoint and connection count, of wrk when it is installed
 * (the issue's own tool, and light on the shared cores) or else autocannon. Requests are drawn at
 * random from thousands built here (random customer, random loan, unique phone number) so no
 * single row stays hot.
 */
import { loadavg } from "node:os";
import autocannon, { type Result } from "autocannon";
import { type PreparedRequest, runWrk, wrkInstalled } from "./wrk";

type LoadGenerator = "wrk" | "autocannon";

let chosenGenerator: LoadGenerator | undefined;
/** wrk when installed, unless BENCH_LOAD_GENERATOR=autocannon; decided once per run. */
export function loadGenerator(): LoadGenerator {
  chosenGenerator ??=
    process.env.BENCH_LOAD_GENERATOR !== "autocannon" && wrkInstalled() ? "wrk" : "autocannon";
  return chosenGenerator;
}

/**
 * Why a run's shares are not comparable with docs/performance.md's, all of which wrk loaded:
 * autocannon runs in Node and takes more of the cores the server shares (on 2 cores `/api` read
 * 38 % of the hello world against wrk's 52 % in the same hour). None for wrk.
 */
export function loadGeneratorNote(generator: LoadGenerator): string | null {
  if (generator === "wrk") return null;
  return "loaded by autocannon (wrk is not installed, or BENCH_LOAD_GENERATOR=autocannon): it takes more of the shared cores than wrk, so every share of the hello world reads lower, about a quarter on /api with 2 cores, and is not comparable with docs/performance.md's figures, all loaded by wrk; install wrk (apt-get install wrk) for those";
}

/**
 * wrk's threads unless told otherwise. One: on 2 cores a second wrk thread took 0.70 of a core
 * from a two-worker server (0.55 with one), and one thread already reaches the hello world's
 * ceiling, which every run checks (`loadGeneratorCheck`: one thread against one per core).
 */
const WRK_THREADS = 1;
/** How many random requests wrk draws from. */
const REQUEST_POOL = 8192;
/**
 * Unique requests (register) are sent once each: enough for this many req/s over the run (it
 * answers about 3,000 here). wrk reads them inside the run's time, about 1 µs each; were they
 * ever used up, the repeats would show as 409s in the status codes.
 */
const UNIQUE_REQUESTS_PER_SECOND = 10_000;

export type Endpoint =
  | "GET /api"
  | "GET /view-loan/{id}"
  | "GET /view-loans/{id}"
  | "POST /check-eligibility"
  | "POST /create-loan"
  | "POST /register"
  | "POST /make-payment/{customer}/{loan}"
  | "GET /view-statement/{customer}/{loan}"
  | "GET /decisions/{id}"
  | "GET /customers/{id}/decisions";

/**
 * The reads first, then the writes: each read then meets the data the pass started with, not
 * what faster or slower writes before it added (a history page's records grow with every loan
 * booked before it).
 */
export const ENDPOINTS: Endpoint[] = [
  "GET /api",
  "GET /view-loan/{id}",
  "GET /view-loans/{id}",
  "POST /check-eligibility",
  "GET /view-statement/{customer}/{loan}",
  "GET /decisions/{id}",
  "GET /customers/{id}/decisions",
  "POST /create-loan",
  "POST /register",
  "POST /make-payment/{customer}/{loan}",
];

/** The hello-world server's one route: the ceiling the endpoints are compared with. */
export const HELLO_WORLD = "GET / (hello world)";
type Measured = Endpoint | typeof HELLO_WORLD;

/** The customer of each loan sampleLoanIds found: the servicing paths name both. */
const ownerOfLoan = new Map<number, number>();

function sampledLoan(population: Population): { loan: number; customer: number } {
  const loan = population.loanIds[Math.floor(Math.random() * population.loanIds.length)] ?? 1;
  return { loan, customer: ownerOfLoan.get(loan) ?? 1 };
}

/** What the requests draw from: customers 1..customers, loan ids and decisions that exist. */
export interface Population {
  customers: number;
  loanIds: number[];
  /** Decision records, each with its customer (recordDecisions). */
  decisions: RecordedDecision[];
}

export interface RecordedDecision {
  id: string;
  customer: number;
}

function sampledDecision(population: Population): RecordedDecision {
  const decision = population.decisions[randomBelow(population.decisions.length)];
  if (!decision) throw new Error("no decisions to read: the population has none (recordDecisions)");
  return decision;
}

export interface LoadRow {
  target: string;
  data: string;
  endpoint: Measured;
  connections: number;
  requests_per_second: number;
  /** req/s as a percentage of the hello world's at the same connections (null: none measured). */
  percent_of_hello_world?: number | null;
  /** The hello world's req/s that percentage is of (the mean of the runs before and after). */
  hello_world_requests_per_second?: number;
  /** What sent the load (wrk, or autocannon when wrk is not installed or for a fixed amount). */
  load_generator: LoadGenerator;
  /** The load generator's threads, when set for the run (the load generator check). */
  load_workers?: number;
  /** The load generator's mean (autocannon's histogram counts whole ms, so sub-ms reads low). */
  latency_mean_ms: number;
  /** connections × 1000 / req/s (Little's law for a closed loop): exact below 1 ms too. */
  latency_from_rate_ms: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  requests: number;
  status_codes: Record<string, number>;
  errors: number;
  /** The machine's 1-minute load average when the run ended (it is shared). */
  load_average: number;
}

export interface LoadOptions {
  target: string;
  data: string;
  url: string;
  population: Population;
  connections: number;
  durationSeconds: number;
  /** A fixed number of requests instead of a duration (writes against a rate limit). */
  amount?: number;
  /** Load generator threads (autocannon: worker threads; wrk: -t, WRK_THREADS by default). */
  workers?: number;
  /** Headers every request carries besides Content-Type (bench:ab's `--api-key`). */
  headers?: Record<string, string>;
}

let phoneCounter = 0;
/** 10-digit numbers starting with 5: the generated and lender data use 6–9. */
const phoneBase = 5_000_000_000 + Math.floor(Math.random() * 900_000_000);

function randomBelow(n: number): number {
  return Math.floor(Math.random() * n);
}

function loanRequest(
  path: string,
  customer_id: number,
  loan_amount: number,
  interest_rate: number,
  tenure: number,
): { path: string; body: string } {
  return { path, body: JSON.stringify({ customer_id, loan_amount, interest_rate, tenure }) };
}

export function requestFor(
  endpoint: Endpoint,
  population: Population,
): { path: string; body?: string } {
  const customer = 1 + Math.floor(Math.random() * population.customers);
  switch (endpoint) {
    // The API index: the request path alone, no database.
    case "GET /api":
      return { path: "/api" };
    case "GET /view-loan/{id}": {
      const id = population.loanIds[Math.floor(Math.random() * population.loanIds.length)];
      return { path: `/view-loan/${id}` };
    }
    case "GET /view-loans/{id}":
      return { path: `/view-loans/${customer}` };
    case "POST /check-eligibility":
      return loanRequest(
        "/check-eligibility",
        customer,
        50_000 + 1_000 * randomBelow(500),
        11.5,
        24,
      );
    case "POST /create-loan":
      // Small loans: most are booked until a customer nears the limit, then refused (200).
      return loanRequest("/create-loan", customer, 10_000 + 1_000 * randomBelow(40), 14, 12);
    case "GET /view-statement/{customer}/{loan}": {
      const { customer: owner, loan } = sampledLoan(population);
      return { path: `/view-statement/${owner}/${loan}` };
    }
    case "POST /make-payment/{customer}/{loan}": {
      // ₹10,000 covers a month's interest on most loans and repays few: mostly 201 (sampleLoanIds
      // draws enough loans); a refusal (422, or 409 once a loan is repaid) reads as a payment does.
      const { customer: owner, loan } = sampledLoan(population);
      return {
        path: `/make-payment/${owner}/${loan}`,
        body: JSON.stringify({ amount: 10_000 }),
      };
    }
    case "GET /decisions/{id}":
      return { path: `/decisions/${sampledDecision(population).id}` };
    // A customer's history, first page at the default limit, as the console opens it.
    case "GET /customers/{id}/decisions":
      return { path: `/customers/${sampledDecision(population).customer}/decisions` };
    case "POST /register":
      phoneCounter += 1;
      return {
        path: "/register",
        body: JSON.stringify({
          first_name: "Bench",
          last_name: "Customer",
          age: 30,
          monthly_income: 40_000 + 1_000 * Math.floor(Math.random() * 60),
          phone_number: phoneBase + phoneCounter,
        }),
      };
  }
}

export async function measure(endpoint: Measured, options: LoadOptions): Promise<LoadRow> {
  if (options.amount === undefined && loadGenerator() === "wrk") {
    return measureWithWrk(endpoint, options);
  }
  const started = performance.now();
  const result = await run(endpoint, options);
  const seconds = (performance.now() - started) / 1000;
  // A fixed amount is a few requests: too few for Little's law, so autocannon's own mean then.
  const fixed = options.amount !== undefined;
  const status: Record<string, number> = {};
  const rate = fixed ? result.requests.total / seconds : result.requests.average;
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {}))
    status[code] = stats.count;
  return {
    ...runLabels(endpoint, options, "autocannon"),
    requests_per_second: Math.round(rate),
    latency_mean_ms: round(result.latency.average),
    latency_from_rate_ms:
      fixed || rate === 0
        ? round(result.latency.average)
        : round((options.connections * 1000) / rate),
    latency_p50_ms: result.latency.p50,
    latency_p99_ms: result.latency.p99,
    requests: result.requests.total,
    status_codes: status,
    errors: result.errors,
  };
}

/** What every row says of its run besides the figures. */
function runLabels(endpoint: Measured, options: LoadOptions, generator: LoadGenerator) {
  return {
    target: options.target,
    data: options.data,
    endpoint,
    connections: options.connections,
    load_average: round(loadavg()[0] ?? 0),
    load_generator: generator,
    ...(options.workers === undefined ? {} : { load_workers: options.workers }),
  };
}

async function measureWithWrk(endpoint: Measured, options: LoadOptions): Promise<LoadRow> {
  const result = await runWithWrk(endpoint, options);
  const rate = result.requests / result.seconds;
  return {
    ...runLabels(endpoint, options, "wrk"),
    requests_per_second: Math.round(rate),
    latency_mean_ms: round(result.latencyMeanMs),
    latency_from_rate_ms: rate === 0 ? 0 : round((options.connections * 1000) / rate),
    latency_p50_ms: round(result.latencyP50Ms),
    latency_p99_ms: round(result.latencyP99Ms),
    requests: result.requests,
    status_codes: result.statusCodes,
    errors: result.errors,
  };
}

function runWithWrk(endpoint: Measured, options: LoadOptions) {
  const base = {
    url: options.url,
    connections: options.connections,
    threads: options.workers ?? WRK_THREADS,
    durationSeconds: options.durationSeconds,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  };
  if (endpoint === HELLO_WORLD)
    return runWrk({ ...base, requests: [{ method: "GET", path: "/" }] });
  const unique = endpoint === "POST /register";
  const count = unique
    ? Math.ceil(options.durationSeconds * UNIQUE_REQUESTS_PER_SECOND)
    : REQUEST_POOL;
  const requests: PreparedRequest[] = [];
  for (let i = 0; i < count; i += 1) {
    requests.push({
      method: endpoint.startsWith("GET") ? "GET" : "POST",
      ...requestFor(endpoint, options.population),
    });
  }
  // The writes answer with several codes (booked, refused, conflict): count each.
  const writes = !endpoint.startsWith("GET") && endpoint !== "POST /check-eligibility";
  return runWrk({ ...base, requests, inTurn: unique, countStatuses: writes });
}

/** A short unrecorded run: warms the JIT, the statement paths and the page cache. */
export async function warm(options: LoadOptions, seconds: number): Promise<void> {
  for (const endpoint of ["GET /view-loans/{id}", "POST /check-eligibility"] as const) {
    const warming = { ...options, durationSeconds: seconds, amount: undefined };
    if (loadGenerator() === "wrk") await runWithWrk(endpoint, warming);
    else await run(endpoint, warming);
  }
}

function run(endpoint: Measured, options: LoadOptions): Promise<Result> {
  if (endpoint === HELLO_WORLD) {
    return autocannon({
      url: `${options.url}/`,
      connections: options.connections,
      duration: options.durationSeconds,
      ...(options.workers === undefined ? {} : { workers: options.workers }),
    });
  }
  const method = endpoint.startsWith("GET") ? "GET" : "POST";
  return autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount === undefined
      ? { duration: options.durationSeconds }
      : { amount: options.amount }),
    headers: { "Content-Type": "application/json", ...options.headers },
    requests: [
      {
        method,
        setupRequest: (request) => ({ ...request, ...requestFor(endpoint, options.population) }),
      },
    ],
  });
}

/**
 * Decision records to read, made through the API: create-loan refusals (₹90 crore is over every
 * customer's limit), which write a record and change no loan. Each customer drawn gets
 * `perCustomer` of them, one more than a history page holds at its default limit (20), so every
 * history read is a full first page whatever ran before it.
 */
export async function recordDecisions(
  url: string,
  customers: number,
  wanted = 210,
  perCustomer = 21,
): Promise<RecordedDecision[]> {
  const decisions: RecordedDecision[] = [];
  for (const customer of shuffledCustomers(customers)) {
    if (decisions.length >= wanted) break;
    for (let made = 0; made < perCustomer && decisions.length < wanted; made += 1) {
      const { body } = loanRequest("/create-loan", customer, 900_000_000, 14, 12);
      const response = await fetch(`${url}/create-loan`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      if (response.status !== 200) break;
      const { decision_id } = (await response.json()) as { decision_id: string };
      decisions.push({ id: decision_id, customer });
    }
  }
  if (decisions.length === 0) throw new Error(`no decisions recorded at ${url}`);
  return decisions;
}

/** What the load runs draw from on a loaded server: loans (sampleLoanIds) and decisions. */
export async function samplePopulation(url: string, customers: number): Promise<Population> {
  const loanIds = await sampleLoanIds(url, customers);
  return { customers, loanIds, decisions: await recordDecisions(url, customers) };
}

/**
 * Loan ids that exist, read through the API from the loans of distinct random customers. Enough
 * of them that a run's payments mostly record: ₹10,000 a time takes a loan to its final
 * instalment within a few dozen payments, and every payment after that is refused (422). With
 * 200 loans, a 5 s make-payment run was mostly those refusals after its first second; with 2,000,
 * the second run on the same database was 40 % refusals.
 */
export async function sampleLoanIds(
  url: string,
  customers: number,
  wanted = 5_000,
): Promise<number[]> {
  const ids: number[] = [];
  for (const customer of shuffledCustomers(customers)) {
    if (ids.length >= wanted) break;
    const response = await fetch(`${url}/view-loans/${customer}`);
    if (!response.ok) continue;
    const loans = (await response.json()) as { loan_id: number }[];
    for (const loan of loans) {
      ids.push(loan.loan_id);
      ownerOfLoan.set(loan.loan_id, customer);
    }
  }
  if (ids.length === 0) throw new Error(`no loans found at ${url}`);
  return ids;
}

/** Customer ids 1..customers in a random order (Fisher–Yates). */
function shuffledCustomers(customers: number): number[] {
  const order = Array.from({ length: customers }, (_, index) => index + 1);
  for (let index = order.length - 1; index > 0; index -= 1) {
    const other = randomBelow(index + 1);
    [order[index], order[other]] = [order[other] as number, order[index] as number];
  }
  return order;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
