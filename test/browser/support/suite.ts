/*
 * The hooks every browser test file needs: one Chromium and one local Worker for the file, a
 * fresh tab per test, a screenshot when a test fails, and everything stopped at the end.
 */
import type { Browser, BrowserContextOptions } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { launchChromium } from "../../../scripts/lib/chromium";
import type { LocalWorker } from "../../../scripts/lib/local-worker";
import { closeSession, openSession, type Session } from "./session";

export interface BrowserSuite {
  /** An absolute URL on the file's Worker. */
  url(path?: string): string;
  /** The current test's tab. */
  session(): Session;
  /** POSTs JSON to the Worker, as the lender's own systems would, and expects 201 Created. */
  created(path: string, body: unknown): Promise<{ customer_id: number; loan_id: number }>;
  /** A new customer (with a phone number no other test uses) and their new loan, through the API. */
  customerWithLoan(
    customer: { first_name: string; last_name: string; age: number; monthly_income: number },
    loan: { loan_amount: number; interest_rate: number; tenure: number },
  ): Promise<{ customerId: number; loanId: number }>;
}

/** `contextOptions` are added to every tab's context (the accessibility test's bypassCSP). */
export function useBrowserAndWorker(
  startWorker: () => Promise<LocalWorker>,
  contextOptions: BrowserContextOptions = {},
): BrowserSuite {
  let browser: Browser | undefined;
  let worker: LocalWorker | undefined;
  let current: Session | undefined;
  let setupError: unknown;

  beforeAll(async () => {
    try {
      // The browser first: when it is missing, nothing else is started.
      browser = await launchChromium();
      worker = await startWorker();
    } catch (error) {
      setupError = error;
    }
  }, 240_000);
  afterAll(async () => {
    await Promise.all([browser?.close(), worker?.stop()]);
  }, 60_000);

  beforeEach(async () => {
    // Thrown here rather than in beforeAll, vitest reports every test as failed with this
    // message; a failed beforeAll would only mark them skipped, and CI must not read that as fine.
    if (setupError) throw setupError;
    if (browser) current = await openSession(browser, contextOptions);
  });
  afterEach(async ({ task }) => {
    const session = current;
    current = undefined;
    await closeSession(session, task);
    expect(session?.pageErrors ?? [], "uncaught errors in the page").toEqual([]);
  });

  const url = (path = "/") => {
    if (!worker) throw new Error("the local Worker is not running");
    return `${worker.url}${path}`;
  };
  const created: BrowserSuite["created"] = async (path, body) => {
    const response = await fetch(url(path), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(response.status, path).toBe(201);
    return (await response.json()) as { customer_id: number; loan_id: number };
  };
  return {
    url,
    created,
    async customerWithLoan(customer, loan) {
      const phone_number = 7_000_000_000 + Math.floor(Math.random() * 999_999_999);
      const { customer_id } = await created("/register", { ...customer, phone_number });
      const { loan_id } = await created("/create-loan", { customer_id, ...loan });
      return { customerId: customer_id, loanId: loan_id };
    },
    session() {
      if (!current) throw new Error("no browser tab: the suite's setup failed");
      return current;
    },
  };
}
