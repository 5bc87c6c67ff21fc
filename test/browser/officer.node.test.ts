import { describe, expect, it } from "vitest";
import { startSeededWorker } from "../../scripts/lib/seeded-worker";
import { fact, fillByLabel, openView, view } from "./support/console-page";
import { useBrowserAndWorker } from "./support/suite";

/*
 * A loan officer's day in the console, in Debian's Chromium against a real local Worker with the
 * lender's workbooks (AS_OF_DATE 2025-06-15): what the console shows agrees with what the API
 * answers, and the view shows what its address names.
 */

const suite = useBrowserAndWorker(startSeededWorker);
const url = suite.url;

async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(url(path));
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

describe("the console over a working day", () => {
  it("calls a loan past its end date with instalments still owed open, not closed, as the API does", async () => {
    const { page } = suite.session();
    // Customer 2's loan 3957 ended on 2019-04-22 with 10 of its 84 instalments still unpaid.
    const [api] = (
      await apiGet<{ loan_id: number; status: string; is_current: boolean }[]>("/view-loans/2")
    ).filter((loan) => loan.loan_id === 3957);
    expect(api).toMatchObject({ status: "active", is_current: false });

    await page.goto(url("/"));
    const loans = await openView(page, "loans");
    await fillByLabel(loans, { "Customer ID": 2 });
    await loans.getByRole("button", { name: "Look up" }).click();
    const row = loans.locator("tbody tr", {
      has: page.getByRole("link", { name: "3957", exact: true }),
    });
    await row.waitFor();
    expect(await row.locator("td").nth(6).innerText()).toBe("10");
    expect(await row.locator("td").nth(7).innerText()).toBe("open, not current");

    await row.getByRole("link", { name: "3957", exact: true }).click();
    const loan = view(page, "loan");
    await loan.locator("#loan-result .verdict", { hasText: "Loan 3957" }).waitFor();
    expect(await fact(loan, "Period")).toBe("2012-04-22 to 2019-04-22 (open, not current)");
    expect(await fact(loan, "Status")).toBe("active");
  });
});
