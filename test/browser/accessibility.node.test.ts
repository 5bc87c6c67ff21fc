import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Result, RunOptions } from "axe-core";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startLocalWorker } from "../../scripts/lib/local-worker";
import { apiKeySetting } from "../node/server-per-file";
import { fact, fillByLabel, loanRequest, openView, type View, view } from "./support/console-page";
import { hold } from "./support/hold";
import type { Session } from "./support/session";
import { useBrowserAndWorker } from "./support/suite";

/*
 * axe-core's WCAG 2 A/AA rules over every view of the console in its main states (empty, after a
 * successful action, with a validation error showing; check and book also with a request in
 * flight) and over the API-key prompt, in the light and the dark colour scheme (console.css
 * follows the system's; axe measures contrast against the background console.css states for the
 * page, white if none). A violation of impact serious or critical fails the test. /docs,
 * Scalar's page, is not checked here (its findings are in the README).
 */

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);
const RUN_OPTIONS: RunOptions = {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
};
const COLOUR_SCHEMES = ["light", "dark"] as const;

interface Finding {
  state: string;
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** axe's violations on the page as it is now, in each colour scheme; injected on first use. */
async function axeFindings(page: Page, state: string): Promise<Finding[]> {
  // addScriptTag({ content }) adds an inline <script>, which the console's Content-Security-Policy
  // (default-src 'self') refuses ("Executing inline script violates ..."): hence bypassCSP below.
  const injected = await page.evaluate(() => "axe" in globalThis);
  if (!injected) await page.addScriptTag({ content: AXE_SOURCE });
  const findings: Finding[] = [];
  for (const colorScheme of COLOUR_SCHEMES) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(async (options) => {
      // These tests compile without the DOM library: axe's one entry point, typed here.
      const { axe } = globalThis as unknown as {
        axe: { run(context: unknown, options: RunOptions): Promise<{ violations: Result[] }> };
      };
      const { document } = globalThis as unknown as { document: unknown };
      return (await axe.run(document, options)).violations;
    }, RUN_OPTIONS);
    for (const violation of violations) {
      findings.push({
        state: `${state} (${colorScheme})`,
        id: violation.id,
        impact: violation.impact ?? "unknown",
        help: violation.help,
        // The element, and for a contrast failure its colours and ratio.
        targets: violation.nodes.map((node) =>
          [node.target.join(" "), node.any[0]?.message].filter(Boolean).join(": "),
        ),
      });
    }
  }
  await page.emulateMedia({ colorScheme: null });
  return findings;
}

const format = (findings: Finding[]) =>
  findings
    .map((f) => `${f.state}: ${f.id} [${f.impact}] ${f.help} — ${f.targets.join(", ")}`)
    .join("\n");

/** Collects the findings of a test's states; `expectNone` fails on the serious and critical ones. */
function audit(session: Session) {
  const findings: Finding[] = [];
  return {
    /** `held`: a request is held on purpose (the busy state), so the page never settles. */
    async check(state: string, { held = false } = {}) {
      if (!held) await session.settled();
      findings.push(...(await axeFindings(session.page, state)));
    },
    expectNone() {
      const serious = findings.filter((f) => f.impact === "serious" || f.impact === "critical");
      expect(serious.length, `accessibility violations:\n${format(serious)}\n`).toBe(0);
    },
  };
}

/** A field error or a form error is showing. */
async function errorShown(section: Locator): Promise<void> {
  await section.locator("input[aria-invalid=true], .form-error:not(:empty)").first().waitFor();
}

describe("the console's accessibility", () => {
  // bypassCSP: see axeFindings. The console renders the same with it: it sets no inline style
  // attribute and runs no inline script (the other browser tests run with the policy on).
  const suite = useBrowserAndWorker(() => startLocalWorker(), { bypassCSP: true });
  const url = suite.url;

  const post = async (path: string, body: unknown) => {
    const response = await fetch(url(path), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  let phone = 7_600_000_000 + Math.floor(Math.random() * 1_000_000);
  /** A new customer with one approved loan and one refused application, through the API. */
  const customerWithLoan = async () => {
    const customer = await post("/register", {
      first_name: "Asha",
      last_name: "Pillai",
      age: 31,
      monthly_income: 50_000,
      phone_number: ++phone,
    });
    const customerId = Number(customer.customer_id);
    const approved = await post("/create-loan", {
      customer_id: customerId,
      loan_amount: 100_000,
      interest_rate: 14,
      tenure: 12,
    });
    await post("/create-loan", {
      customer_id: customerId,
      loan_amount: 5_000_000,
      interest_rate: 14,
      tenure: 12,
    });
    return { customerId, loanId: Number(approved.loan_id) };
  };

  /** Opens a view, checks it empty, then with the given bad values sent. */
  async function emptyAndInvalid(
    name: View,
    bad: Record<string, string | number>,
    button: string,
    a: ReturnType<typeof audit>,
  ): Promise<Locator> {
    const section = await openView(suite.session().page, name);
    await a.check(`${name}: empty`);
    await fillByLabel(section, bad);
    await section.getByRole("button", { name: button, exact: true }).click();
    await errorShown(section);
    await a.check(`${name}: validation error`);
    return section;
  }

  it("register: empty, invalid, registered (at the root and at console)", async () => {
    const session = suite.session();
    const a = audit(session);
    await session.page.goto(url("/console"));
    await view(session.page, "register").waitFor();
    await a.check("/console");
    await session.page.goto(url("/"));
    const register = await emptyAndInvalid(
      "register",
      { "First name": "Tara", "Last name": "Nair", Age: 12, "Monthly income": 40_000 },
      "Register",
      a,
    );
    await fillByLabel(register, { Age: 30, "Phone number": ++phone });
    await register.getByRole("button", { name: "Register" }).click();
    await register.locator("#register-result .verdict").waitFor();
    await a.check("register: registered");
    a.expectNone();
  });

  it("check and book: empty, invalid, eligible and refused, booked and not approved", async () => {
    const session = suite.session();
    const a = audit(session);
    const { customerId } = await customerWithLoan();
    await session.page.goto(url("/"));
    for (const [name, button] of [
      ["check", "Check"],
      ["book", "Book"],
    ] as const) {
      const section = await emptyAndInvalid(name, loanRequest(customerId, -5), button, a);
      await fillByLabel(section, loanRequest(customerId, 50_000));
      await section.getByRole("button", { name: button, exact: true }).click();
      await section.locator(`#${name}-result .verdict.approved`).waitFor();
      await a.check(`${name}: approved`);
      await fillByLabel(section, loanRequest(customerId, 9_000_000));
      // The request held at the browser: the form as it is while the answer is awaited.
      const held = await hold(
        session.page,
        `**/${name === "check" ? "check-eligibility" : "create-loan"}`,
        (route) => route.continue(),
      );
      await section.getByRole("button", { name: button, exact: true }).click();
      await held.reached;
      await a.check(`${name}: in flight`, { held: true });
      held.release();
      await section.locator(`#${name}-result .verdict.refused`).waitFor();
      await a.check(`${name}: refused`);
    }
    a.expectNone();
  });

  it("customer loans and decision history: empty, invalid, shown", async () => {
    const session = suite.session();
    const a = audit(session);
    const { customerId } = await customerWithLoan();
    await session.page.goto(url("/"));
    const loans = await emptyAndInvalid("loans", { "Customer ID": "abc" }, "Look up", a);
    await fillByLabel(loans, { "Customer ID": customerId });
    await loans.getByRole("button", { name: "Look up" }).click();
    await loans.getByRole("table").waitFor();
    await a.check("loans: shown");

    const decisions = await emptyAndInvalid(
      "decisions",
      { "Customer ID": "abc" },
      "Show decisions",
      a,
    );
    await fillByLabel(decisions, { "Customer ID": customerId });
    await decisions.getByRole("button", { name: "Show decisions" }).click();
    await decisions.locator("article.decision").nth(1).waitFor();
    await a.check("decisions: shown");
    a.expectNone();
  });

  it("loan, payment and statement: empty, invalid, shown, paid, repaid", async () => {
    const session = suite.session();
    const { page } = session;
    const a = audit(session);
    const { customerId, loanId } = await customerWithLoan();
    await page.goto(url("/"));
    const loan = await emptyAndInvalid("loan", { "Loan ID": "abc" }, "Show", a);
    await fillByLabel(loan, { "Loan ID": loanId });
    await loan.getByRole("button", { name: "Show", exact: true }).click();
    const due = loan.locator("#payment-due");
    await due.getByText("Period 1").waitFor();
    await a.check("loan: shown, payment form");

    await fillByLabel(loan, { Amount: 1 });
    await loan.getByRole("button", { name: "Pay" }).click();
    await loan.locator("#payment-amount[aria-invalid=true]").waitFor();
    await a.check("payment: refused amount");
    await fillByLabel(loan, { Amount: 10_000 });
    await loan.getByRole("button", { name: "Pay" }).click();
    await loan.locator("#payment-result .verdict").waitFor();
    await due.getByText("Period 2").waitFor();
    await a.check("payment: paid");

    const statement = await emptyAndInvalid(
      "statement",
      { "Customer ID": customerId, "Loan ID": "abc" },
      "Show statement",
      a,
    );
    await fillByLabel(statement, { "Loan ID": loanId });
    await statement.getByRole("button", { name: "Show statement" }).click();
    await statement.getByRole("img", { name: new RegExp(`^Loan ${loanId}:`) }).waitFor();
    await a.check("statement: active loan");

    // Repaid: the loan view's closed note, then the closed loan's statement.
    await page.goto(url(`/#loan/${loanId}`));
    const payoff = (await fact(due, "Payoff")).replace(/[₹,]/g, "");
    await fillByLabel(loan, { Amount: payoff });
    await loan.getByRole("button", { name: "Pay" }).click();
    await due.getByText("Repaid in full").waitFor();
    await a.check("loan: repaid");
    await page.goto(url(`/#statement/${customerId}/${loanId}`));
    await view(page, "statement")
      .getByText(/closed on/)
      .first()
      .waitFor();
    await a.check("statement: closed loan");
    a.expectNone();
  });
});

const KEY = `a11y-test-${randomBytes(24).toString("hex")}`;
const DIGEST = apiKeySetting(KEY);

describe("the console's accessibility with API keys on", () => {
  const suite = useBrowserAndWorker(() => startLocalWorker({ API_KEYS: DIGEST }), {
    bypassCSP: true,
  });

  it("the API-key prompt: asked for, and an empty key refused", async () => {
    const session = suite.session();
    const a = audit(session);
    await session.page.goto(suite.url("/"));
    const panel = session.page.getByRole("region", { name: "API key" });
    await panel.waitFor({ state: "visible" });
    await a.check("API-key prompt");
    await panel.getByRole("button", { name: "Use this key" }).click();
    await panel.locator("#api-key[aria-invalid=true]").waitFor();
    await a.check("API-key prompt: empty key");
    a.expectNone();
  });
});
