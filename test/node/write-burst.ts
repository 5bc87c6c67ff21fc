/*
 * A lender's engineer in a burst: clients that register customers, book loans for them and pay
 * those loans, some requests with an Idempotency-Key and some without, each on a connection of its
 * own (so node:cluster hands them to every worker), until told to stop. Every request is recorded
 * with its answer, or the error that took its answer away (a killed process), so that a test can
 * check afterwards what the database holds against what was acknowledged.
 *
 * Every request's effect can be found again in the database: a registration by its phone number,
 * a booking by its loan amount (whole rupees, never sent twice) and a payment by its loan and
 * amount (the instalment plus a few paise, which two payments on one loan may share).
 */
import { type Answer, call, registration } from "./cluster-process";

export type Operation = "register" | "create-loan" | "make-payment";

export interface Sent {
  operation: Operation;
  path: string;
  body: Record<string, unknown>;
  /** The Idempotency-Key it was sent with, if any. */
  key?: string;
  /** The answer, or the error in its place: an outcome the client does not know. */
  answer: Answer | Error;
}

/** A loan the burst booked and may pay: the instalment it was last told. */
interface OpenLoan {
  customerId: number;
  loanId: number;
  instalment: number;
}

/** A request that may take the write lock behind a busy burst, but not one to a dead worker. */
const ANSWER_TIMEOUT_MS = 8_000;
/** What each client sends in turn (rotated per client, so the mix is there at every moment). */
const TURNS: Operation[] = [
  "create-loan",
  "make-payment",
  "create-loan",
  "make-payment",
  "register",
];
const RATES = [10, 14, 18];
const TENURES = [12, 36, 60];

export class WriteBurst {
  readonly sent: Sent[] = [];
  private readonly customers: number[];
  private readonly loans: OpenLoan[] = [];
  private stopped = false;
  /** While set, no client sends: it waits for this to settle. */
  private paused: { resume: () => void; resumed: Promise<void> } | null = null;
  private count = 0;

  constructor(
    private readonly url: string,
    customers: number[],
  ) {
    this.customers = [...customers];
  }

  /** `clients` clients at once; resolves when every one has stopped. */
  run(clients: number): Promise<void> {
    return Promise.all(Array.from({ length: clients }, (_, i) => this.client(i))).then(() => {});
  }

  /** No new request from now on; those in flight still get recorded. */
  stop(): void {
    this.stopped = true;
    this.resume();
  }

  /**
   * No new request until `resume`: keeps the burst to a few hundred requests however long the
   * test waits meanwhile (a worker's replacement takes seconds to start on a loaded machine).
   */
  pause(): void {
    if (this.paused) return;
    let resume = () => {};
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    this.paused = { resume, resumed };
  }

  resume(): void {
    this.paused?.resume();
    this.paused = null;
  }

  private async client(index: number): Promise<void> {
    for (let turn = index; !this.stopped; turn++) {
      if (this.paused) {
        await this.paused.resumed;
        if (this.stopped) return;
      }
      const request = this.next(TURNS[turn % TURNS.length] ?? "register");
      const headers: Record<string, string> = request.key ? { "Idempotency-Key": request.key } : {};
      const answer = await call(this.url, request.path, {
        body: request.body,
        headers,
        timeoutMs: ANSWER_TIMEOUT_MS,
      }).catch((error: Error) => error);
      this.sent.push({ ...request, answer });
      if (!(answer instanceof Error)) this.learn(request, answer);
      // A server that is gone refuses at once: no need to spin on it until the stop.
      if (answer instanceof Error && /ECONNREFUSED/.test(answer.message)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  private next(operation: Operation): Omit<Sent, "answer"> {
    this.count += 1;
    const n = this.count;
    const loan = this.loans[n % Math.max(this.loans.length, 1)];
    // Every other request carries a key, named for what it is sent to.
    const keyFor = (sentTo: Operation) => (n % 2 === 0 ? `chaos-${sentTo}-${n}` : undefined);
    if (operation === "make-payment" && loan) {
      // At least the instalment, so that no payment raises an EMI the 50 % rule counted.
      const amount = Math.round(loan.instalment * 100 + n) / 100;
      const path = `/make-payment/${loan.customerId}/${loan.loanId}`;
      return { operation, path, body: { amount }, key: keyFor(operation) };
    }
    if (operation === "register" || operation === "make-payment") {
      const body = registration(30_000 + n);
      return { operation: "register", path: "/register", body, key: keyFor("register") };
    }
    const customerId = this.customers[n % this.customers.length] ?? 0;
    const body = {
      customer_id: customerId,
      loan_amount: 200_000 + n,
      interest_rate: RATES[n % RATES.length],
      tenure: TENURES[Math.floor(n / 3) % TENURES.length],
    };
    return { operation, path: "/create-loan", body, key: keyFor(operation) };
  }

  /** What a 201 adds to the burst: a customer to lend to, a loan to pay, a new instalment. */
  private learn(request: Omit<Sent, "answer">, answer: Answer): void {
    if (answer.status !== 201) return;
    if (request.operation === "register") this.customers.push(answer.body.customer_id as number);
    if (request.operation === "create-loan") {
      this.loans.push({
        customerId: answer.body.customer_id as number,
        loanId: answer.body.loan_id as number,
        instalment: answer.body.monthly_installment as number,
      });
    }
    if (request.operation === "make-payment") {
      const paid = this.loans.find((loan) => loan.loanId === answer.body.loan_id);
      if (!paid) return;
      if (answer.body.status === "closed") this.loans.splice(this.loans.indexOf(paid), 1);
      else paid.instalment = answer.body.monthly_installment as number;
    }
  }
}

/** Whether the request's answer is the one stored under its key (a replay must give it again). */
export function storedUnderKey(sent: Sent): boolean {
  if (sent.answer instanceof Error) return false;
  const { status } = sent.answer;
  return status === 201 || (sent.operation === "create-loan" && status === 200);
}
