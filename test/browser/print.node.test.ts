import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startSeededWorker } from "../../scripts/lib/seeded-worker";
import { pdfPageLines } from "./support/pdf-text";
import { useBrowserAndWorker } from "./support/suite";

/*
 * A statement printed from the console on A4: Chromium's print media at an A4 page's printable
 * width (210 mm less its 10 mm margins, 718 px). The page keeps the statement and drops what an
 * officer can only click; every row of the workbook's 174-period loan is one line, with nothing
 * cut at the edge of its scrolling region. Printed to PDF, each page a table runs onto starts with
 * its header row, and no row is cut between two pages.
 */

const suite = useBrowserAndWorker(startSeededWorker);
const url = suite.url;

const A4_PRINTABLE_PX = 718;

interface Box {
  display: string;
  width: number;
  height: number;
}

/** Each matching element's display and size under the current media. */
function boxes(page: Page, selector: string): Promise<Box[]> {
  return page.evaluate((selector) => {
    const browser = globalThis as unknown as {
      document: { querySelectorAll(selector: string): ArrayLike<PageElement> };
      getComputedStyle(element: PageElement): { display: string };
    };
    interface PageElement {
      getBoundingClientRect(): { width: number; height: number };
    }
    return Array.from(browser.document.querySelectorAll(selector), (element) => ({
      display: browser.getComputedStyle(element).display,
      width: element.getBoundingClientRect().width,
      height: element.getBoundingClientRect().height,
    }));
  }, selector);
}

/** Each scrolling region's content width beyond its own: what print would cut off. */
function cutOff(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const browser = globalThis as unknown as {
      document: { querySelectorAll(selector: string): ArrayLike<PageElement> };
    };
    interface PageElement {
      scrollWidth: number;
      clientWidth: number;
    }
    return Array.from(
      browser.document.querySelectorAll(".table-scroll"),
      (region) => region.scrollWidth - region.clientWidth,
    );
  });
}

async function printStatement(page: Page, loanId: number): Promise<void> {
  const response = await fetch(url(`/view-loan/${loanId}`));
  expect(response.status).toBe(200);
  const { customer } = (await response.json()) as { customer: { id: number } };
  await page.setViewportSize({ width: A4_PRINTABLE_PX, height: 1000 });
  await page.goto(url(`/#statement/${customer.id}/${loanId}`));
  await page.getByRole("table", { name: "Schedule" }).locator("tbody tr").first().waitFor();
  await page.emulateMedia({ media: "print" });
}

describe("a statement printed on A4", () => {
  it("leaves out the navigation, the forms and their buttons, and keeps the statement", async () => {
    const { page } = suite.session();
    await printStatement(page, 5543);
    for (const selector of ["nav", "form", "button", ".skip"]) {
      const shown = (await boxes(page, selector)).filter((box) => box.display !== "none");
      expect(shown, selector).toEqual([]);
    }
    expect(await page.locator("#statement-result .verdict").innerText()).toBe(
      "Loan 5543 of customer 8: active",
    );
    expect((await boxes(page, "#statement-result table")).length).toBe(2);
  });

  it("says the as-of date its statuses are true of, on the page and on the paper", async () => {
    // Handed over a week later, "overdue" and "Next instalment" must still say as of which day.
    const { page } = suite.session();
    await printStatement(page, 5543);
    // Exact: each table's printed running head says "… statement as of 2025-06-15" too.
    const asOf = page.locator("#statement-result").getByText("Statement as of 2025-06-15", {
      exact: true,
    });
    expect(await asOf.isVisible(), "printed").toBe(true);
    await page.emulateMedia({ media: "screen" });
    expect(await asOf.isVisible(), "on screen").toBe(true);
  });

  it("fits each row of the payments and the schedule on one line, with no column cut off", async () => {
    const { page } = suite.session();
    await printStatement(page, 5543);
    expect(await cutOff(page)).toEqual([0, 0]);
    const rows = await boxes(page, "#statement-result tbody tr");
    expect(rows.length).toBe(92 + 174);
    const oneLine = Math.min(...rows.map((row) => row.height));
    const taller = rows.filter((row) => row.height > oneLine * 1.5);
    expect(taller.length, "rows wrapped onto a second line").toBe(0);
  });

  it("fits each of a customer's loans on one line of the page too", async () => {
    const { page } = suite.session();
    await page.setViewportSize({ width: A4_PRINTABLE_PX, height: 1000 });
    await page.goto(url("/#loans/8"));
    await page.getByRole("table", { name: "Loans of customer 8" }).waitFor();
    await page.emulateMedia({ media: "print" });
    expect((await cutOff(page)).filter((width) => width > 0)).toEqual([]);
    const rows = await boxes(page, "#loans-result tbody tr");
    const oneLine = Math.min(...rows.map((row) => row.height));
    expect(rows.filter((row) => row.height > oneLine * 1.5).length).toBe(0);
  });

  it("is laid out as on a wide screen once printing is over", async () => {
    const { page } = suite.session();
    await printStatement(page, 5543);
    await page.emulateMedia({ media: "screen" });
    expect((await boxes(page, "nav"))[0]?.display).toBe("flex");
    expect((await boxes(page, "#statement-form"))[0]?.display).toBe("grid");
  });

  it("prints the loan and its as-of date above each table's header, on paper only", async () => {
    // The line each printed page repeats: nothing on screen, and not read twice by a reader.
    const { page } = suite.session();
    await printStatement(page, 5543);
    const heads = page.locator("#statement-result thead tr.running-head");
    expect(await heads.allInnerTexts()).toEqual(
      Array(2).fill("Loan 5543 of customer 8 · statement as of 2025-06-15"),
    );
    expect(await heads.evaluateAll((rows) => rows.map((row) => row.ariaHidden))).toEqual([
      "true",
      "true",
    ]);
    await page.emulateMedia({ media: "screen" });
    expect((await boxes(page, ".running-head")).map((box) => box.display)).toEqual([
      "none",
      "none",
    ]);
  });
});

/** A table's header row and the pattern of its rows, as a PDF page reads them. */
const PRINTED_TABLES = {
  payments: {
    header: "Period Paid on Amount Interest Principal Balance after On time Source",
    row: /^(\d+) \d{4}-\d\d-\d\d( ₹[\d,]+\.\d\d){4} (yes|no) (api|workbook)$/,
  },
  schedule: {
    header: "Period Due Instalment Principal Interest Balance after Status",
    row: /^(\d+) \d{4}-\d\d-\d\d( ₹[\d,]+\.\d\d){4} (paid|overdue|due|upcoming)$/,
  },
};

/**
 * Reads the printed pages as paper: each table's rows found whole on one line, by period, and the
 * pages where a table's rows have no header row of their table above them.
 */
function readPrintedTables(pages: string[][]) {
  const periods = { payments: [] as number[], schedule: [] as number[] };
  const headless = new Set<string>();
  pages.forEach((lines, index) => {
    let headed: keyof typeof PRINTED_TABLES | undefined;
    for (const line of lines) {
      for (const [table, { header, row }] of Object.entries(PRINTED_TABLES)) {
        const name = table as keyof typeof PRINTED_TABLES;
        if (line === header) headed = name;
        const period = row.exec(line)?.[1];
        if (period === undefined) continue;
        periods[name].push(Number(period));
        if (headed !== name) headless.add(`page ${index + 1}: ${name}`);
      }
    }
  });
  return { periods, headless: [...headless] };
}

/** Loan 5543's statement (customer 8) printed to PDF on A4, each page's lines of text. */
async function printedStatementPages(page: Page): Promise<string[][]> {
  await page.goto(url("/#statement/8/5543"));
  await page.getByRole("table", { name: "Schedule" }).locator("tbody tr").first().waitFor();
  // A4 with Chrome's default 10 mm margins: the page printStatement's width stands for.
  const margin = "10mm";
  const pdf = await page.pdf({
    format: "A4",
    margin: { top: margin, right: margin, bottom: margin, left: margin },
  });
  return pdfPageLines(pdf);
}

describe("a long statement printed to PDF on A4", () => {
  it("starts each page a table runs onto with its header row, and cuts no row in two", async () => {
    const pages = await printedStatementPages(suite.session().page);
    // The 92 payments and 174 instalments run over several pages each.
    expect(pages.length).toBeGreaterThanOrEqual(6);
    const { periods, headless } = readPrintedTables(pages);
    expect(headless, "rows on a page without their table's header row").toEqual([]);
    // Each row once and whole on one line: a row cut by a page break reads as two part lines.
    const upTo = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
    expect(periods.payments).toEqual(upTo(92));
    expect(periods.schedule).toEqual(upTo(174));
  });

  it("names the loan and the as-of date on every page, for a page that comes loose", async () => {
    // A page filed, faxed or scanned apart from the first must still say whose and of which day.
    const pages = await printedStatementPages(suite.session().page);
    const unnamed = pages
      .map((lines, index) => ({ page: index + 1, text: lines.join(" ") }))
      .filter(({ text }) => !text.includes("Loan 5543") || !text.includes("as of 2025-06-15"))
      .map(({ page }) => page);
    expect(unnamed, "pages without the loan and its as-of date").toEqual([]);
    // Numbered in the margin (CSS page-margin boxes), with no print option to tick.
    const numbers = pages.map((lines) => lines.find((line) => /^Page \d+ of \d+$/.test(line)));
    expect(numbers).toEqual(pages.map((_, index) => `Page ${index + 1} of ${pages.length}`));
  });

  it("breaks no date of the totals over two lines", async () => {
    // The figures' column is narrow beside "Monthly instalment (recorded in the lender's
    // workbook)": Chromium broke lines after a date's hyphen, "2010-05-" above "20".
    const [first = []] = await printedStatementPages(suite.session().page);
    expect(first.filter((line) => /\d{4}-(\d\d-?)?$/.test(line))).toEqual([]);
    expect(first).toContain("Statement as of 2025-06-15");
    expect(first.join(" ")).toContain("174 months, 2010-05-20 to 2024-11-20");
    // Runs are joined by a space: the colon after the <time> reads " :".
    expect(first.join(" ")).toContain("Next instalment Period 93 due 2018-02-20");
  });
});
