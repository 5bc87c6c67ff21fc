import { describe, expect, it } from "vitest";
import { registerInConsole } from "./support/console-page";
import { expectDocsRenderEveryOperation, sendAsIsFromDocs } from "./support/docs-page";
import { hold } from "./support/hold";
import { startNodeServer } from "./support/node-server";
import { useBrowserAndWorker } from "./support/suite";

/*
 * What the Node server advertises works in a browser as on the Worker: the console at / and
 * /console and the API reference at /docs, served from the same built public/ files.
 */

const suite = useBrowserAndWorker(startNodeServer);
const url = suite.url;

const post = (path: string, body: unknown) =>
  fetch(url(path), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

describe("the Node server in a browser", () => {
  it("serves /docs, which renders the five operations with nothing fetched from elsewhere", async () => {
    await expectDocsRenderEveryOperation(suite.session(), url);
  });

  // The document gives x-d1-bookmark an example and X-Request-Id none: the page lists both as
  // optional headers and must send neither unless the reader ticks one, nor an Idempotency-Key.
  it("sends a Test Request from /docs as the example shows it, without the optional headers", async () => {
    const session = suite.session();
    const view = await sendAsIsFromDocs(session, url, {
      group: "Loans",
      summary: "View a loan and its customer",
      operation: "get /view-loan/{loan_id}",
    });
    expect(view).toMatchObject({ method: "GET", path: "/view-loan/1003", status: 404 });
    const book = await sendAsIsFromDocs(session, url, {
      group: "Loans",
      summary: "Book a loan if it is approved",
      operation: "post /create-loan",
    });
    expect(book).toMatchObject({ method: "POST", path: "/create-loan", status: 404 });
    const optional = /^(x-d1-bookmark|x-request-id|idempotency-key)$/;
    for (const { headers } of [view, book]) {
      expect(Object.keys(headers).filter((name) => optional.test(name))).toEqual([]);
    }
    expect(session.blocked).toEqual([]);
  });

  it("serves the console at / and /console, with its security headers, and it registers a customer", async () => {
    for (const path of ["/", "/console"]) {
      const response = await fetch(url(path));
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toMatch(/^text\/html/);
      expect(response.headers.get("content-security-policy"), path).toMatch(/default-src 'self'/);
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
    }

    // Their .html files' own paths redirect there, as on Workers, rather than serve them bare.
    for (const [path, location] of <[string, string][]>[
      ["/index.html", "/"],
      ["/console.html", "/console"],
    ]) {
      const response = await fetch(url(path), { redirect: "manual" });
      expect(response.status, path).toBe(307);
      expect(response.headers.get("location"), path).toBe(location);
    }

    const { page } = suite.session();
    await page.goto(url("/console"));
    const register = await registerInConsole(page);
    await register
      .locator("#register-result")
      .getByText(/Registered customer 1\b/)
      .waitFor();
  });

  it("shows why the older decisions failed beside their button, and lets the officer ask again", async () => {
    const registered = await post("/register", {
      first_name: "Ira",
      last_name: "Sen",
      age: 40,
      monthly_income: 30_000,
      phone_number: 7_400_000_000 + Math.floor(Math.random() * 1_000_000),
    });
    const { customer_id } = (await registered.json()) as { customer_id: number };
    // Twenty-one refusals (far over the limit): one more than the first page holds.
    for (let i = 0; i < 21; i++) {
      const refused = await post("/create-loan", {
        customer_id,
        loan_amount: 90_000_000,
        interest_rate: 10,
        tenure: 12,
      });
      expect(refused.status).toBe(200);
    }

    const { page } = suite.session();
    await page.goto(url(`/#decisions/${customer_id}`));
    const cards = page.locator("#decisions-result article");
    await cards.nth(19).waitFor();
    const older = page.getByRole("button", { name: "Older decisions" });
    const list = page.locator("#decisions-result ol");
    const status = page.locator("#decisions-result + [role=status]");
    // The next page's request fails on the network; the suite checks no error escaped the page.
    // Held first: while it is in flight the list is busy, and the button and a status say so.
    const held = await hold(page, "**/decisions?cursor=*", (route) =>
      route.abort("connectionrefused"),
    );
    await older.click();
    await held.reached;
    expect(await list.getAttribute("aria-busy")).toBe("true");
    expect(await older.isDisabled()).toBe(true);
    expect(await older.getByText("Loading…").isVisible()).toBe(true);
    expect(await status.innerText()).toBe("Loading…");
    held.release();
    await page.locator("li.more [role=alert]", { hasText: "The request failed" }).waitFor();
    expect(await older.isEnabled()).toBe(true);
    expect(await list.getAttribute("aria-busy")).toBeNull();
    expect(await older.getByText("Loading…").isVisible()).toBe(false);
    expect(await status.innerText()).toBe("");
    expect(await cards.count()).toBe(20);

    // Asked again from the keyboard: the focus goes on to the first older decision, where the
    // reading goes on; it fell to the page with the button, and Tab started again at the top.
    await older.focus();
    await page.keyboard.press("Enter");
    await cards.nth(20).waitFor();
    expect(await page.locator("li.more").count()).toBe(0);
    expect(
      await cards
        .nth(20)
        .locator("h3.verdict")
        .evaluate((heading) => heading.matches(":focus")),
    ).toBe(true);
  });

  it("answers an address with a broken escape (#loan/%E0%A4) in the loan form, with no error in the page", async () => {
    const { page } = suite.session();
    await page.goto(url("/#loan/%E0%A4"));
    await page.locator("#loan-loan_id[aria-invalid=true]").waitFor();
    expect(await page.locator("#loan-loan_id").inputValue()).toBe("%E0%A4");
    expect(await page.locator("#loan-loan_id-error").innerText()).toMatch(/^Loan ID /);
  });

  it("skips to the content from the keyboard without leaving the view the officer is in", async () => {
    const { page } = suite.session();
    await page.goto(url("/#check"));
    const customer = page.locator("#check-customer_id");
    await customer.fill("5");
    const skip = page.getByRole("link", { name: "Skip to content" });
    for (
      let presses = 0;
      presses < 12 && !(await skip.evaluate((link) => link.matches(":focus")));
      presses++
    ) {
      await page.keyboard.press("Shift+Tab");
    }
    await page.keyboard.press("Enter");
    expect(await page.locator(":focus").getAttribute("id")).toBe("main");
    expect(new URL(page.url()).hash).toBe("#check");
    expect(await page.locator("#view-check").isVisible()).toBe(true);
    expect(await customer.inputValue()).toBe("5");
  });
});
