import { describe, expect, it } from "vitest";
import { startSeededWorker } from "../../scripts/lib/seeded-worker";
import {
  fact,
  fillByLabel,
  focused,
  loanRequest,
  openView,
  storedBookmark,
  view,
} from "./support/console-page";
import { expectDocsRenderEveryOperation } from "./support/docs-page";
import { useBrowserAndWorker } from "./support/suite";

/*
 * The loan officer's console in Debian's Chromium, against a real local Worker (wrangler dev,
 * static assets, D1, Queues) loaded with the lender's workbooks. AS_OF_DATE is pinned, so the
 * lender's customers score the same every run.
 */

const suite = useBrowserAndWorker(startSeededWorker);
const url = suite.url;

async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(url(path));
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

let phone = 7_700_000_000 + Math.floor(Math.random() * 1_000_000);
const uniquePhone = () => ++phone;

async function registerInConsole(firstName: string, age: number | string = 34) {
  const { page } = suite.session();
  const register = await openView(page, "register");
  await fillByLabel(register, {
    "First name": firstName,
    "Last name": "Nair",
    Age: age,
    "Monthly income": 60_000,
    "Phone number": uniquePhone(),
  });
  await register.getByRole("button", { name: "Register" }).click();
  return register;
}

describe("the console", () => {
  it("registers, checks (score bars, band, corrected rate), books once on a double click, and shows the loan", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));

    const register = await registerInConsole("Meera");
    const registered = register.locator("#register-result .verdict");
    await registered.waitFor();
    const customerId = Number(/Registered customer (\d+)/.exec(await registered.innerText())?.[1]);
    expect(customerId).toBeGreaterThan(300);
    expect(await fact(register.locator("#register-result"), "Approved limit")).toMatch(/22,00,000/);

    const check = await openView(page, "check");
    await fillByLabel(check, loanRequest(customerId));
    await check.getByRole("button", { name: "Check" }).click();
    const checked = check.locator("#check-result");
    await checked.locator(".verdict").waitFor();
    expect(await checked.locator(".verdict").innerText()).toBe("Eligible");
    // A new customer scores 40: the 30–50 band raises the requested 10 % to 12 %.
    expect(await fact(checked, "Credit score")).toBe("40 / 100");
    expect(await fact(checked, "Band")).toBe("rate floor 12.00 %");
    expect(await fact(checked, "Corrected rate")).toBe("12.00 %");
    expect(await fact(checked, "Monthly instalment")).toMatch(/8,884\.88/);
    const apiCheck = (await (
      await fetch(url("/check-eligibility"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          customer_id: customerId,
          loan_amount: 100_000,
          interest_rate: 10,
          tenure: 12,
        }),
      })
    ).json()) as { score_breakdown: { component: string; points: number; max_points: number }[] };
    expect(await checked.locator("li.bar").count()).toBe(apiCheck.score_breakdown.length);
    for (const part of apiCheck.score_breakdown) {
      const name = `${part.component.replaceAll("_", " ")}: ${part.points} of ${part.max_points} points`;
      const bar = checked.getByRole("img", { name });
      await bar.waitFor();
      // The fill is sized through the CSSOM, which the console's Content-Security-Policy allows.
      const filled = await bar
        .locator(".fill")
        .evaluate((fill) => fill.getBoundingClientRect().width);
      const track = await bar.evaluate((element) => element.getBoundingClientRect().width);
      expect(filled).toBeCloseTo((track * Math.max(0, part.points)) / part.max_points, -1);
    }

    const book = await openView(page, "book");
    await fillByLabel(book, loanRequest(customerId));
    await book.getByRole("button", { name: "Book" }).dblclick();
    const verdict = book.locator("#book-result .verdict");
    await verdict.waitFor();
    const loanId = Number(/Booked loan (\d+)/.exec(await verdict.innerText())?.[1]);
    expect(loanId).toBeGreaterThan(10_025);
    expect(await fact(book.locator("#book-result"), "Rate")).toBe("12.00 %");
    // Let a second request, had the double click sent one, reach the API before counting.
    await suite.session().settled();
    const loansAfterDoubleClick = await apiGet<{ loan_id: number }[]>(`/view-loans/${customerId}`);
    expect(loansAfterDoubleClick.map((loan) => loan.loan_id)).toEqual([loanId]);

    // The same form sent again carries the same Idempotency-Key: the first answer, no new loan.
    await book.getByRole("button", { name: "Book" }).click();
    await book.locator(".replayed").waitFor();
    expect(await book.locator(".replayed").innerText()).toBe(
      "Already sent: this is the first answer; nothing new was booked. To book another loan, change the form to send a new request.",
    );
    expect(await verdict.innerText()).toBe(`Booked loan ${loanId}`);
    expect(await apiGet<unknown[]>(`/view-loans/${customerId}`)).toHaveLength(1);

    await book.getByRole("link", { name: `View loan ${loanId}` }).click();
    const loan = view(page, "loan");
    await loan.locator("#loan-result .verdict").waitFor();
    expect(page.url()).toMatch(new RegExp(`#loan/${loanId}$`));
    expect(await loan.locator("#loan-result .verdict").innerText()).toBe(`Loan ${loanId}`);
    expect(await fact(loan, "Customer")).toBe(`Meera Nair (#${customerId}, age 34)`);
    expect(await fact(loan, "Amount")).toMatch(/1,00,000/);
    expect(await fact(loan, "Period")).toBe("2025-06-15 to 2026-06-15 (current)");

    // The tab is one D1 session: the read after the booking sends the latest bookmark it got.
    const beforeLookup = await storedBookmark(page);
    expect(beforeLookup).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
    const lookup = page.waitForRequest((request) => request.url().includes("/view-loans/"));
    const loans = await openView(page, "loans");
    await fillByLabel(loans, { "Customer ID": customerId });
    await loans.getByRole("button", { name: "Look up" }).click();
    // At least as recent as the booking's: a response still in flight (the loan view's) may
    // have stored a later one meanwhile. D1's bookmarks are fixed-width hex, so they sort as text.
    const sent = (await lookup).headers()["x-d1-bookmark"] ?? "";
    expect(sent).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
    expect(sent >= (beforeLookup ?? "")).toBe(true);
    const table = loans.getByRole("table", { name: `Loans of customer ${customerId}` });
    await table.waitFor();
    expect(await table.locator("tbody tr").count()).toBe(1);
    await table.getByRole("link", { name: String(loanId), exact: true }).waitFor();
  });

  it("shows a refusal with every reason, for a customer of the lender's workbook", async () => {
    const { page } = suite.session();
    await page.goto(url("/#check"));
    // Customer 240's current loans already exceed the approved limit: score 0, refused.
    const check = view(page, "check");
    await fillByLabel(check, loanRequest(240));
    await check.getByRole("button", { name: "Check" }).click();
    const result = check.locator("#check-result");
    await result.locator(".verdict").waitFor();
    expect(await result.locator(".verdict").innerText()).toBe("Not eligible");
    expect(await fact(result, "Credit score")).toBe("0 / 100");
    const overLimit = result.locator("li[data-code=CURRENT_LOANS_OVER_LIMIT]");
    expect(await overLimit.innerText()).toMatch(
      /current loans .* already exceed the approved limit/,
    );
    expect(await result.locator(".reasons li").count()).toBe(4);

    const book = await openView(page, "book");
    await fillByLabel(book, loanRequest(240));
    await book.getByRole("button", { name: "Book" }).click();
    await book.locator("#book-result .verdict").waitFor();
    expect(await book.locator("#book-result .verdict").innerText()).toBe("Not approved");
    await book.locator("#book-result li[data-code=CREDIT_SCORE_TOO_LOW]").waitFor();
  });

  it("shows a customer's decision history from the loans view: reasons in a letter's words, score factors, breakdown", async () => {
    const { page } = suite.session();
    const post = async (path: string, body: unknown) =>
      (await (
        await fetch(url(path), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, unknown>;
    const customer = await post("/register", {
      first_name: "Kavya",
      last_name: "Menon",
      age: 29,
      monthly_income: 20_000,
      phone_number: uniquePhone(),
    });
    const customerId = Number(customer.customer_id);
    const approved = await post("/create-loan", {
      customer_id: customerId,
      loan_amount: 50_000,
      interest_rate: 14,
      tenure: 12,
    });
    const refused = await post("/create-loan", {
      customer_id: customerId,
      loan_amount: 600_000,
      interest_rate: 14,
      tenure: 12,
    });
    expect([approved.loan_approved, refused.loan_approved]).toEqual([true, false]);

    await page.goto(url("/"));
    const loans = await openView(page, "loans");
    await fillByLabel(loans, { "Customer ID": customerId });
    await loans.getByRole("button", { name: "Look up" }).click();
    await loans.getByRole("link", { name: `Decision history of customer ${customerId}` }).click();
    expect(page.url()).toMatch(new RegExp(`#decisions/${customerId}$`));
    const history = view(page, "decisions").getByRole("list", {
      name: `Decisions of customer ${customerId}`,
    });
    await history.locator("article").first().waitFor();
    const cards = history.locator("article.decision");
    expect(await cards.count()).toBe(2);
    // Newest first: the refusal, then the approval.
    expect(await cards.nth(0).getAttribute("data-decision-id")).toBe(refused.decision_id);
    expect(await cards.nth(1).getAttribute("data-decision-id")).toBe(approved.decision_id);
    expect(await cards.nth(0).locator("h3.verdict").innerText()).toMatch(
      /^Refused on \d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+$/,
    );
    const emi = cards.nth(0).locator("li[data-code=EMI_OVER_HALF_SALARY] .principal");
    expect(await emi.innerText()).toBe("Excessive obligations in relation to income");
    expect(await cards.nth(0).locator("li.bar").count()).toBeGreaterThanOrEqual(4);
    await cards
      .nth(1)
      .getByRole("link", { name: `View loan ${approved.loan_id}` })
      .waitFor();

    // A workbook customer over the limit: the low score names what cost the most points.
    await post("/create-loan", {
      customer_id: 240,
      loan_amount: 1_000,
      interest_rate: 10,
      tenure: 12,
    });
    await page.goto(url("/#decisions/240"));
    const lowScore = view(page, "decisions")
      .locator("article.decision")
      .first()
      .locator("li[data-code=CREDIT_SCORE_TOO_LOW]");
    await lowScore.waitFor();
    expect(await lowScore.locator(".principal").innerText()).toBe(
      "Credit score below the minimum required",
    );
    const factors = lowScore.locator(".factors li");
    expect(await factors.count()).toBeGreaterThan(0);
    expect(await factors.count()).toBeLessThanOrEqual(4);
    expect(await factors.first().getAttribute("data-component")).toBe("current_loans_over_limit");
  });

  it("shows a validation error next to its field, marks the field invalid and focuses it", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    const register = await registerInConsole("Tara", 12);
    const message = register.locator("#register-age-error");
    await message.getByText("Age must be between 18 and 120").waitFor();
    const age = register.getByLabel("Age");
    expect(await age.getAttribute("aria-invalid")).toBe("true");
    expect(await age.getAttribute("aria-describedby")).toBe("register-age-error");
    expect(await focused(page).getAttribute("id")).toBe("register-age");
    expect(await register.getByLabel("First name").getAttribute("aria-invalid")).toBeNull();
    expect(await register.locator("#register-result").innerText()).toBe("");

    // Corrected and sent again: the error goes, the customer is registered.
    await age.fill("19");
    await register.getByRole("button", { name: "Register" }).click();
    await register.locator("#register-result .verdict").waitFor();
    expect(await age.getAttribute("aria-invalid")).toBeNull();
    expect(await message.innerText()).toBe("");
  });

  it("works from the keyboard: tab to a view, fill the form, submit with Enter", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    await page.locator("#register-first_name").waitFor();
    // The page opens with the cursor in the first field; the navigation is a few Shift+Tabs back.
    expect(await focused(page).getAttribute("id")).toBe("register-first_name");
    const active = async () => (await focused(page).innerText()).trim();
    for (let presses = 0; presses < 10 && (await active()) !== "Check eligibility"; presses++) {
      await page.keyboard.press("Shift+Tab");
    }
    expect(await active()).toBe("Check eligibility");
    await page.keyboard.press("Enter");
    await view(page, "check").waitFor({ state: "visible" });
    expect(await focused(page).getAttribute("id")).toBe("check-customer_id");

    for (const value of ["14", "50000", "11", "6"]) {
      await page.keyboard.type(value);
      await page.keyboard.press("Tab");
    }
    expect(await active()).toBe("Check");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter");
    const verdict = page.locator("#check-result .verdict");
    await verdict.waitFor();
    expect(await verdict.innerText()).toBe("Eligible");
    expect(await fact(page.locator("#check-result"), "Requested rate")).toBe("11.00 %");
  });
});

describe("/docs", () => {
  it("renders every operation, no controls for Scalar's hosted services, and nothing fetched from outside 127.0.0.1", async () => {
    await expectDocsRenderEveryOperation(suite.session(), url);
  });
});
