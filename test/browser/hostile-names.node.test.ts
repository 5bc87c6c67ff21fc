import type { Locator } from "playwright-core";
import { describe, expect, it } from "vitest";
import { fact, view } from "./support/console-page";
import { startNodeServer } from "./support/node-server";
import { useBrowserAndWorker } from "./support/suite";

/*
 * Names are stored as sent, direction marks and markup included (api.md, "Names"): the console
 * must show them as text, and a name's marks must not reorder the figures shown beside it.
 */

const suite = useBrowserAndWorker(startNodeServer);

const RIGHT_TO_LEFT_OVERRIDE = "\u202e";

/**
 * Whether, in the fact's first text that holds `marker`, the `digits` after it are laid out left
 * to right on the screen, as the officer reads a number. Measured from the characters' boxes.
 */
function digitsReadLeftToRight(value: Locator, marker: string, digits: string): Promise<boolean> {
  return value.evaluate(
    (element, [mark, number]) => {
      // biome-ignore lint/suspicious/noExplicitAny: these tests compile without the DOM library.
      const doc = (globalThis as any).document;
      const walker = doc.createTreeWalker(element, 4);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.textContent.indexOf(`${mark}${number}`);
        if (at < 0) continue;
        const lefts: number[] = [];
        for (let i = 0; i < number.length; i++) {
          const range = doc.createRange();
          range.setStart(node, at + mark.length + i);
          range.setEnd(node, at + mark.length + i + 1);
          lefts.push(range.getBoundingClientRect().left);
        }
        return lefts.every((left, i) => i === 0 || left > (lefts[i - 1] ?? left));
      }
      throw new Error(`no text holds ${mark}${number}`);
    },
    [marker, digits] as const,
  );
}

describe("a customer's name in the console", () => {
  it("does not reverse the customer's id and age shown after a name with a right-to-left override", async () => {
    const { customerId, loanId } = await suite.customerWithLoan(
      {
        first_name: "Kavya",
        last_name: `Rao${RIGHT_TO_LEFT_OVERRIDE}`,
        age: 34,
        monthly_income: 90_000,
      },
      { loan_amount: 100_000, interest_rate: 10, tenure: 12 },
    );
    const { page } = suite.session();
    await page.goto(suite.url(`/#loan/${loanId}`));
    const loan = view(page, "loan");
    await loan.locator("#loan-result dt", { hasText: "Customer" }).waitFor();
    const customer = loan
      .locator("dt", { hasText: "Customer" })
      .locator("xpath=following-sibling::dd[1]");
    // With the override spilling over, a customer aged 34 read as "age 43" (and #312 as #213).
    expect(await digitsReadLeftToRight(customer, "age ", "34")).toBe(true);
    expect(await fact(loan, "Customer")).toContain(`(#${customerId}, age 34)`);
  });

  it("shows markup in a name as text and runs none of it", async () => {
    const markup = `<img src=x onerror="document.title='pwned'">`;
    const { loanId } = await suite.customerWithLoan(
      { first_name: markup, last_name: "</script><b>x</b>", age: 30, monthly_income: 90_000 },
      { loan_amount: 100_000, interest_rate: 10, tenure: 12 },
    );
    const { page } = suite.session();
    await page.goto(suite.url(`/#loan/${loanId}`));
    const loan = view(page, "loan");
    await loan.locator("#loan-result dt", { hasText: "Customer" }).waitFor();
    expect(await fact(loan, "Customer")).toContain(`${markup} </script><b>x</b>`);
    expect(await loan.locator("#loan-result img, #loan-result b").count()).toBe(0);
    expect(await page.title()).not.toBe("pwned");
  });
});
