import { createClient } from "@libsql/client";
import type { Locator, Page, Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { fillByLabel, loanRequest, view } from "./support/console-page";
import { answerLost, hold, signal } from "./support/hold";
import { startNodeServer } from "./support/node-server";
import { recordTexts } from "./support/record-texts";
import { useBrowserAndWorker } from "./support/suite";

/*
 * The console on a bad connection and behind an unhappy server, in Chromium against the Node
 * server: answers the network or a proxy can give and the server cannot (a reset, a hang, an HTML
 * error page, an empty 2xx) are injected with page.route; everything else is the real server.
 */

let databaseUrl = "";

const suite = useBrowserAndWorker(async () => {
  const server = await startNodeServer();
  databaseUrl = server.databaseUrl;
  return server;
});
const url = suite.url;

let phone = 7_600_000_000 + Math.floor(Math.random() * 1_000_000);

/** A new customer (monthly income 90,000) with loans of these amounts over 12 months. */
async function customerWithLoans(...amounts: number[]) {
  const { customer_id } = await suite.created("/register", {
    first_name: "Meera",
    last_name: "Iyer",
    age: 35,
    monthly_income: 90_000,
    phone_number: ++phone,
  });
  const loanIds: number[] = [];
  for (const loan_amount of amounts) {
    const { loan_id } = await suite.created("/create-loan", {
      customer_id,
      loan_amount,
      interest_rate: 14,
      tenure: 12,
    });
    loanIds.push(loan_id);
  }
  return { customerId: customer_id, loanIds };
}

/** The booking form, opened and filled for a new customer's loan of 50,000. */
async function bookingTyped() {
  const { customerId } = await customerWithLoans();
  const { page } = suite.session();
  await page.goto(url("/#book"));
  const book = view(page, "book");
  await fillByLabel(book, loanRequest(customerId, 50_000, 14, 12));
  return { customerId, page, book };
}

/** bookingTyped on the page's own clock, with its Book button to press. */
async function bookingOnClock() {
  const typed = await bookingTyped();
  await typed.page.clock.install();
  const press = () => typed.book.getByRole("button", { name: "Book" }).click();
  return { ...typed, press };
}

/** How many loans the API holds for the customer. */
async function loanCount(customerId: number): Promise<number> {
  const loans = await fetch(url(`/view-loans/${customerId}`));
  return ((await loans.json()) as unknown[]).length;
}

describe("the console on an unreliable network", () => {
  it("does not show one loan's instalment and payoff under another whose figures did not arrive", async () => {
    const { loanIds } = await customerWithLoans(100_000, 200_000);
    const [first, second] = loanIds as [number, number];
    const { page } = suite.session();
    await page.goto(url(`/#loan/${first}`));
    const loan = view(page, "loan");
    const due = loan.locator("#payment-due");
    await due.getByText("₹1,01,166.67").waitFor();

    // The second loan's details arrive; its statement (the figures due) is cut off.
    await page.route("**/view-statement/**", (route) => route.abort("connectionreset"));
    await page.goto(url(`/#loan/${second}`));
    await loan.locator("#loan-result").getByText(`Loan ${second}`, { exact: true }).waitFor();
    await loan.locator("#loan-form-error").filter({ hasText: /\S/ }).waitFor();
    expect(await due.innerText()).toBe("");
  });
});

describe("a request that is never answered", () => {
  it("is given up after 45 s with a message, and the same booking can be sent again", async () => {
    // The page's timers under the test's hand: 45 s pass without the test waiting them out.
    await suite.session().page.clock.install();
    const { page, book } = await bookingTyped();
    const button = book.getByRole("button", { name: "Book" });
    const keys: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/create-loan")) keys.push(request.headers()["idempotency-key"]);
    });
    // A connection gone quiet: the request leaves and nothing comes back.
    await page.route("**/create-loan", () => undefined, { times: 1 });
    await button.click();
    await page.clock.runFor(44_000);
    expect(await button.isDisabled()).toBe(true);
    expect(await book.locator("form").getAttribute("aria-busy")).toBe("true");
    await page.clock.runFor(1_000);
    await book
      .getByRole("alert")
      .getByText(/no answer from the API within 45 s/)
      .waitFor();
    expect(await button.isEnabled()).toBe(true);
    expect(await book.locator("form").getAttribute("aria-busy")).toBeNull();
    expect(await book.getByLabel("Loan amount").inputValue()).toBe("50000");

    await button.click();
    await book
      .locator("#book-result")
      .getByText(/^Booked loan \d+$/)
      .waitFor();
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
  });
});

/** What a form shows of its request in flight: aria-busy, its button, its status (the text said). */
async function busyState(form: Locator, idle: string) {
  const button = form.getByRole("button", { name: idle, exact: true });
  return {
    busy: await form.getAttribute("aria-busy"),
    disabled: await button.isDisabled(),
    // The button's words as seen: its label is made transparent and the busy one shown over it.
    shows: await button.locator("span").evaluateAll((spans) => {
      const browser = globalThis as unknown as {
        getComputedStyle(element: unknown): { visibility: string; opacity: string };
      };
      return (spans as unknown as { textContent: string }[])
        .filter((span) => {
          const style = browser.getComputedStyle(span);
          return style.visibility === "visible" && style.opacity !== "0";
        })
        .map((span) => span.textContent);
    }),
    // Read as easily as the label it replaces: not dimmed like a disabled button.
    opacity: await button.evaluate(
      (element) =>
        (
          globalThis as unknown as { getComputedStyle(element: unknown): { opacity: string } }
        ).getComputedStyle(element).opacity,
    ),
    status: await form.locator("xpath=following-sibling::*[@role='status'][1]").innerText(),
    box: await button.boundingBox(),
  };
}

describe("a request in flight", () => {
  const idle = { busy: null, disabled: false, shows: ["Book"], status: "" };

  it("marks the form busy, says so on the button and once in a status, and resets on every outcome", async () => {
    // The status then says the answer in a sentence; an error is said by its alert instead.
    const { page, book } = await bookingTyped();
    const form = book.locator("form");
    const said = await recordTexts(page, "#book-form + [role=status]");
    expect(await busyState(form, "Book")).toMatchObject(idle);
    const outcomes: [string, (route: Route) => Promise<void>, Locator, RegExp][] = [
      [
        "success",
        (route) => route.continue(),
        book.locator("#book-result").getByText(/^Booked loan \d+$/),
        /^Booked loan \d+$/,
      ],
      [
        "a network failure",
        (route) => route.abort("connectionreset"),
        book.getByRole("alert"),
        /^$/,
      ],
      ["a 4xx", (route) => route.continue(), book.locator("#book-loan_amount-error"), /^$/],
    ];
    for (const [outcome, answer, shown, answered] of outcomes) {
      // A new amount each time (a new request); the API's 400 names the field.
      await fillByLabel(book, { "Loan amount": outcome === "a 4xx" ? "fifty" : 50_000 });
      const { box } = await busyState(form, "Book");
      const held = await hold(page, "**/create-loan", answer);
      await form.getByRole("button", { name: "Book", exact: true }).click();
      await held.reached;
      expect(await busyState(form, "Book"), outcome).toEqual({
        busy: "true",
        disabled: true,
        shows: ["Booking…"],
        opacity: "1",
        status: "Booking…",
        // The same size and place: nothing moves under the pointer.
        box,
      });
      held.release();
      await shown.filter({ hasText: /\S/ }).waitFor();
      const { status, ...after } = await busyState(form, "Book");
      expect(after, outcome).toMatchObject({ busy: null, disabled: false, shows: ["Book"] });
      expect(status, outcome).toMatch(answered);
    }
    // Said once for each request, and the booking once; typing between them said nothing.
    expect(await said()).toEqual([
      "Booking…",
      expect.stringMatching(/^Booked loan \d+$/),
      "Booking…",
      "Booking…",
    ]);
  });

  it("gives the focus back to the pressed button once answered, unless a field's error took it", async () => {
    const { page, book } = await bookingTyped();
    const form = book.locator("form");
    const button = form.getByRole("button", { name: "Book", exact: true });
    const hasFocus = (target: Locator) => target.evaluate((element) => element.matches(":focus"));
    const held = await hold(page, "**/create-loan", (route) => route.continue());
    await button.focus();
    await page.keyboard.press("Enter");
    await held.reached;
    held.release();
    await book
      .locator("#book-result")
      .getByText(/^Booked loan \d+$/)
      .waitFor();
    // Chrome moved it to <body> when the button was disabled: a keyboard user lost their place.
    expect(await hasFocus(button)).toBe(true);
    // A field's error still takes it: the answer's own focus is kept.
    await fillByLabel(book, { "Loan amount": "fifty" });
    await button.click();
    await book
      .locator("#book-loan_amount-error")
      .getByText(/must be a number/)
      .waitFor();
    expect(await hasFocus(book.getByLabel("Loan amount"))).toBe(true);
  });

  it("keeps the button in place when pressed again under a field's message, until the answer", async () => {
    const { page, book } = await bookingTyped();
    const form = book.locator("form");
    const amount = book.getByLabel("Loan amount");
    const message = book.locator("#book-loan_amount-error");
    await fillByLabel(book, { "Loan amount": "fifty" });
    await form.getByRole("button", { name: "Book", exact: true }).click();
    await message.getByText("Loan amount must be a number").waitFor();
    const { box } = await busyState(form, "Book");

    await fillByLabel(book, { "Loan amount": 50_000 });
    const held = await hold(page, "**/create-loan", (route) => route.continue());
    await form.getByRole("button", { name: "Book", exact: true }).click();
    await held.reached;
    // The old message is no longer shown or attached to the field, and still holds its lines.
    expect((await busyState(form, "Book")).box).toEqual(box);
    expect(await message.isVisible()).toBe(false);
    expect(await amount.getAttribute("aria-invalid")).toBeNull();
    held.release();
    await book
      .locator("#book-result")
      .getByText(/^Booked loan \d+$/)
      .waitFor();
    expect(await message.innerText()).toBe("");
  });

  it("stays busy while a newer request supersedes it, and resets once the newer is answered", async () => {
    const { loanIds } = await customerWithLoans(100_000, 200_000);
    const [first, second] = loanIds as [number, number];
    const { page } = suite.session();
    const loan = view(page, "loan");
    const form = loan.locator("#loan-form");
    const heldFirst = await hold(page, `**/view-loan/${first}`, (route) => route.continue());
    const heldSecond = await hold(page, `**/view-loan/${second}`, (route) => route.continue());
    await page.goto(url(`/#loan/${first}`));
    await heldFirst.reached;
    // The address moves on to the second loan while the first is in flight: it waits its turn.
    await page.goto(url(`/#loan/${second}`));
    heldFirst.release();
    await heldSecond.reached;
    expect(await busyState(form, "Show")).toMatchObject({
      busy: "true",
      disabled: true,
      shows: ["Loading…"],
      status: "Loading…",
    });
    heldSecond.release();
    await loan.locator("#loan-result").getByText(`Loan ${second}`, { exact: true }).waitFor();
    await loan.locator("#payment-due").getByText("Period 1, due 2025-07-15").waitFor();
    expect(await busyState(form, "Show")).toMatchObject({
      ...idle,
      shows: ["Show"],
      status: expect.stringMatching(new RegExp(`^Loan ${second} of customer \\d+: active`)),
    });
  });
});

describe("answers the console does not expect", () => {
  // What a proxy, a captive portal or the network can answer for the API.
  const answers: [string, Parameters<Route["fulfill"]>[0] | "connectionreset", RegExp][] = [
    ["a connection reset", "connectionreset", /no answer from the API.*send it again/],
    [
      "a proxy's HTML 502",
      { status: 502, contentType: "text/html", body: "<html><h1>502 Bad Gateway</h1></html>" },
      /answered 502 Bad Gateway.*Try again in a moment/,
    ],
    [
      "a plain-text 429 with Retry-After",
      {
        status: 429,
        headers: { "Retry-After": "60" },
        contentType: "text/plain",
        body: "Slow down",
      },
      /answered 429 .*Try again in 60 s/,
    ],
    [
      "a JSON 500 that is no problem",
      { status: 500, contentType: "application/json", body: '{"error":"boom","errors":"none"}' },
      /answered 500 .*Try again/,
    ],
    ["an empty 204", { status: 204, body: "" }, /the answer \(204\) was not the API's/],
    [
      "a sign-in page answering 200",
      { status: 200, contentType: "text/html", body: "<html>Sign in to the Wi-Fi</html>" },
      /the answer \(200\) was not the API's/,
    ],
    [
      "JSON of another shape",
      { status: 201, contentType: "application/json", body: '{"ok":true}' },
      /form this console does not know.*look at the customer's loans/,
    ],
  ];

  it("says what happened in words, keeps the form as typed and lets the officer send it again", async () => {
    const { customerId, page, book } = await bookingTyped();
    const button = book.getByRole("button", { name: "Book" });
    const alert = book.getByRole("alert");
    const keys: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/create-loan")) keys.push(request.headers()["idempotency-key"]);
    });
    for (const [name, answer, message] of answers) {
      await page.route("**/create-loan", (route) =>
        answer === "connectionreset" ? route.abort(answer) : route.fulfill(answer),
      );
      await button.click();
      // Each message is its answer's own: the previous one, until the press clears it, never matches.
      await alert.filter({ hasText: message }).waitFor();
      const shown = await alert.innerText();
      expect(shown, name).toMatch(message);
      expect(shown, name).not.toMatch(/undefined|HTTP \d|Cannot read|Failed to fetch|[{<]/);
      expect(await button.isEnabled(), name).toBe(true);
      expect(await book.getByLabel("Loan amount").inputValue(), name).toBe("50000");
      await page.unroute("**/create-loan");
    }
    // The real API at last: one loan, booked once under the key every failed try sent.
    await button.click();
    await book
      .locator("#book-result")
      .getByText(/^Booked loan \d+$/)
      .waitFor();
    expect(await loanCount(customerId)).toBe(1);
    expect(keys).toHaveLength(answers.length + 1);
    expect(new Set(keys).size).toBe(1);
  });
});

/**
 * Lets one request to `pattern` reach the API and holds its answer back; the page is reloaded
 * once the API has it, and the answer is then cut off (a held request would stall the reload).
 * Returns the answer the page never got.
 */
async function reloadOnceReached(page: Page, pattern: string, send: () => Promise<void>) {
  const atApi = signal();
  const reloading = signal();
  let lost: unknown;
  await page.route(
    pattern,
    async (route) => {
      lost = await (await route.fetch()).json();
      atApi.fire();
      await reloading.fired;
      await route.abort("connectionreset").catch(() => undefined);
    },
    { times: 1 },
  );
  await send();
  await atApi.fired;
  const reloaded = page.reload();
  reloading.fire();
  await reloaded;
  return lost;
}

/** What the API's 24 hours do to every key it keeps: gone, a request sent again is done again. */
async function expireEveryKey() {
  const client = createClient({ url: databaseUrl });
  try {
    await client.execute("UPDATE idempotency_keys SET expires_at = 0");
  } finally {
    client.close();
  }
}

describe("a reload while a booking or payment is unanswered", () => {
  /** Presses Book again: the first answer is replayed and the customer has one loan. */
  async function bookedOnceWhenPressed(book: Locator, customerId: number) {
    await book.getByRole("button", { name: "Book" }).click();
    await book
      .getByText(/^Already sent: this is the first answer; nothing new was booked/)
      .waitFor();
    expect(await loanCount(customerId)).toBe(1);
  }

  it("brings the booking back with its key: pressed again, it is replayed, not booked twice", async () => {
    const { customerId, page, book } = await bookingTyped();
    await reloadOnceReached(page, "**/create-loan", () =>
      book.getByRole("button", { name: "Book" }).click(),
    );

    expect(await book.getByLabel("Loan amount").inputValue()).toBe("50000");
    expect(await book.getByLabel("Customer ID").inputValue()).toBe(String(customerId));
    await book.getByText(/^A booking sent before this page was reloaded got no answer/).waitFor();
    await bookedOnceWhenPressed(book, customerId);
  });

  it("sends the same booking typed again after the reload under its key: it is replayed, not booked twice", async () => {
    const { customerId, page, book } = await bookingTyped();
    await reloadOnceReached(page, "**/create-loan", () =>
      book.getByRole("button", { name: "Book" }).click(),
    );

    await book.getByText(/^A booking sent before this page was reloaded got no answer/).waitFor();
    const typed = loanRequest(customerId, 50_000, 14, 12);
    await fillByLabel(book, Object.fromEntries(Object.keys(typed).map((label) => [label, ""])));
    // The same values, typed as the officer might: the API reads 50000.00 as 50000.
    await fillByLabel(book, { ...typed, "Loan amount": "50000.00" });
    await bookedOnceWhenPressed(book, customerId);
  });

  it("brings the payment back on its loan with its key: retyped and pressed again, it is recorded once", async () => {
    const { customerId, loanIds } = await customerWithLoans(100_000);
    const [loanId] = loanIds as [number];
    const { page } = suite.session();
    await page.goto(url(`/#loan/${loanId}`));
    const loan = view(page, "loan");
    await loan.locator("#payment-due").getByText("Period 1, due 2025-07-15").waitFor();
    await fillByLabel(loan, { Amount: "8978.71" });
    await reloadOnceReached(page, "**/make-payment/**", () =>
      loan.getByRole("button", { name: "Pay" }).click(),
    );

    await loan.locator("#payment-due").getByText("Period 2, due 2025-08-15").waitFor();
    expect(await loan.getByLabel("Amount").inputValue()).toBe("8978.71");
    await loan.getByText(/^The payment in the Amount field was sent and got no answer/).waitFor();
    // Cleared and typed again as the officer might: the same amount is the same payment.
    await fillByLabel(loan, { Amount: "" });
    await fillByLabel(loan, { Amount: "8978.710" });
    await loan.getByRole("button", { name: "Pay" }).click();
    await loan.getByText(/^Already sent: this is the first answer; nothing new was paid/).waitFor();
    const statement = await fetch(url(`/view-statement/${customerId}/${loanId}`));
    expect(((await statement.json()) as { payments: unknown[] }).payments).toHaveLength(1);
  });
});

describe("a request left unanswered longer than the API keeps its key", () => {
  /** What a day on does: the tab's clock moves 25 hours, and the API forgets every key (24 h). */
  async function aDayLater(page: Page) {
    await page.clock.setSystemTime(Date.now() + 25 * 60 * 60 * 1000);
    await expireEveryKey();
    await page.reload();
  }

  /** A loan's first instalment typed into Amount, on a tab whose clock the test can move. */
  async function paymentTypedOnAClock() {
    const { customerId, loanIds } = await customerWithLoans(100_000);
    const [loanId] = loanIds as [number];
    const { page } = suite.session();
    await page.clock.install();
    await page.goto(url(`/#loan/${loanId}`));
    const loan = view(page, "loan");
    await loan.locator("#payment-due").getByText("Period 1, due 2025-07-15").waitFor();
    await fillByLabel(loan, { Amount: "8978.71" });
    return { customerId, loanId, page, loan };
  }

  async function paymentsOf(customerId: number, loanId: number) {
    const statement = await fetch(url(`/view-statement/${customerId}/${loanId}`));
    return ((await statement.json()) as { payments: unknown[] }).payments.length;
  }

  it("says a payment sent a day ago may be paid again, and refills nothing to press: it was paid twice", async () => {
    const { customerId, loanId, page, loan } = await paymentTypedOnAClock();
    await reloadOnceReached(page, "**/make-payment/**", () =>
      loan.getByRole("button", { name: "Pay" }).click(),
    );
    await loan.getByText(/^The payment in the Amount field was sent and got no answer/).waitFor();

    // The officer comes back to the tab the next day (the session storage keeps the request).
    await aDayLater(page);
    await loan.locator("#payment-due").getByText("Period 2, due 2025-08-15").waitFor();
    const note = loan.getByText(
      /^A payment of ₹8,978\.71 sent at \d{4}-\d{2}-\d{2} \d{2}:\d{2} .+ got no answer/,
    );
    await note.waitFor();
    expect(await note.textContent()).toContain("Look for it in the loan's statement");
    // Nothing is offered to press: the amount typed again is a new payment, by the officer's choice.
    expect(await loan.getByLabel("Amount").inputValue()).toBe("");
    await fillByLabel(loan, { Amount: "8978.71" });
    await loan.getByRole("button", { name: "Pay" }).click();
    await loan.getByText(/^Paid ₹8,978\.71/).waitFor();
    expect(await loan.getByText(/nothing new was paid/).count()).toBe(0);
    expect(await paymentsOf(customerId, loanId)).toBe(2);
  });

  it("says a payment kept by the console before it kept the time may be paid again, and refills nothing", async () => {
    // Paid on Friday under a key whose answer was lost, kept by the console of then (no sentAt);
    // the deploy over the weekend, the reload on Monday. It was refilled "unchanged", and paid twice.
    const { customerId, loanId, page, loan } = await paymentTypedOnAClock();
    const key = crypto.randomUUID();
    const paid = await fetch(url(`/make-payment/${customerId}/${loanId}`), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify({ amount: 8978.71 }),
    });
    expect(paid.status).toBe(201);
    await expireEveryKey();
    await page.evaluate(
      // These tests compile without the DOM library: the one browser global used, typed here.
      ({ name, kept }) =>
        (
          globalThis as unknown as {
            sessionStorage: { setItem(name: string, value: string): void };
          }
        ).sessionStorage.setItem(name, kept),
      {
        name: `credit-console-unanswered-payment-${loanId}`,
        kept: JSON.stringify({ key, values: { amount: 8978.71 } }),
      },
    );
    await page.reload();

    await loan.locator("#payment-due").getByText("Period 2, due 2025-08-15").waitFor();
    expect(await loan.getByText(/send it again unchanged/).count()).toBe(0);
    expect(await loan.getByLabel("Amount").inputValue()).toBe("");
    await loan
      .getByText(/^A payment of ₹8,978\.71 sent at an unknown time got no answer/)
      .waitFor();
    expect(await paymentsOf(customerId, loanId)).toBe(1);
  });

  it("sends a payment pressed again a day after its lost answer only when pressed once more", async () => {
    const { customerId, loanId, page, loan } = await paymentTypedOnAClock();
    // The API records it; its answer is cut on the way back.
    await answerLost(page, "**/make-payment/**");
    const pay = loan.getByRole("button", { name: "Pay" });
    await pay.click();
    await loan.getByText(/^The request failed: no answer from the API/).waitFor();

    // The page stays open; the officer presses Pay again the next day.
    await page.clock.setSystemTime(Date.now() + 25 * 60 * 60 * 1000);
    await expireEveryKey();
    await pay.click();
    await loan.getByText(/^Not sent: this was first sent at .+ 24 hours only/).waitFor();
    expect(await paymentsOf(customerId, loanId)).toBe(1);
    await pay.click();
    await loan.getByText(/^Paid ₹8,978\.71/).waitFor();
    expect(await paymentsOf(customerId, loanId)).toBe(2);
  });

  it("books the same loan again a day after it was booked only when Book is pressed once more", async () => {
    const { customerId, page, book, press } = await bookingOnClock();
    const result = book.locator("#book-result");
    await press();
    await result.getByText(/^Booked loan \d+$/).waitFor();

    // Pressed again within the day, it is the first answer; that renews nothing at the API.
    await page.clock.setSystemTime(Date.now() + 20 * 60 * 60 * 1000);
    await press();
    await result
      .getByText(/^Already sent: this is the first answer; nothing new was booked/)
      .waitFor();
    // The page stays open with the booked values; Book is pressed again the next day.
    await page.clock.setSystemTime(Date.now() + 25 * 60 * 60 * 1000);
    await expireEveryKey();
    await press();
    await book.getByText(/^Not sent: this was done at .+ 24 hours only/).waitFor();
    expect(await loanCount(customerId)).toBe(1);
    await press();
    await result.getByText(/^Booked loan \d+$/).waitFor();
    expect(await loanCount(customerId)).toBe(2);
  });

  it("times a booking replayed after its lost answer from its first send, not from the replay", async () => {
    // Booked, its answer lost; replayed by Book the next afternoon (the API's 24 hours run from the
    // first send). Timed from the replay, Book pressed again that evening booked a second loan.
    const { customerId, page, book, press } = await bookingOnClock();
    await answerLost(page, "**/create-loan");
    await press();
    await book.getByText(/^The request failed: no answer from the API/).waitFor();
    await page.clock.setSystemTime(Date.now() + 20 * 60 * 60 * 1000);
    await press();
    await book
      .getByText(/^Already sent: this is the first answer; nothing new was booked/)
      .waitFor();

    // Five hours on: the first send was 25 hours ago, the replay 5.
    await page.clock.setSystemTime(Date.now() + 25 * 60 * 60 * 1000);
    await expireEveryKey();
    await press();
    await book.getByText(/^Not sent: this was done at .+ it books a second loan/).waitFor();
    expect(await loanCount(customerId)).toBe(1);
  });

  it("says a booking sent a day ago may be booked again, and refills nothing to press", async () => {
    const { page, book, press } = await bookingOnClock();
    await reloadOnceReached(page, "**/create-loan", press);
    await book.getByText(/^A booking sent before this page was reloaded got no answer/).waitFor();

    await aDayLater(page);
    const note = book.getByText(
      /^A booking sent at \d{4}-\d{2}-\d{2} \d{2}:\d{2} .+ got no answer/,
    );
    await note.waitFor();
    expect(await note.textContent()).toContain("customer's loans");
    expect(await book.getByLabel("Loan amount").inputValue()).toBe("");
  });
});

describe("a registration whose answer is lost", () => {
  /** The register form, opened and filled for a new customer. */
  async function registrationTyped() {
    const { page } = suite.session();
    await page.goto(url("/#register"));
    const register = view(page, "register");
    await fillByLabel(register, newApplicant());
    const keys: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/register")) keys.push(request.headers()["idempotency-key"]);
    });
    return { page, register, keys };
  }

  const newApplicant = () => ({
    "First name": "Kavya",
    "Last name": "Rao",
    Age: 29,
    "Monthly income": 45_000,
    "Phone number": ++phone,
  });

  it("shows the customer registered the first time, marked already sent, when pressed again", async () => {
    const { page, register, keys } = await registrationTyped();
    const button = register.getByRole("button", { name: "Register" });
    // The API registers the customer; its answer is lost on the way back.
    let lost: { customer_id?: number } = {};
    await page.route(
      "**/register",
      async (route) => {
        lost = (await (await route.fetch()).json()) as typeof lost;
        await route.abort("connectionreset");
      },
      { times: 1 },
    );
    await button.click();
    await register
      .getByRole("alert")
      .getByText(/no answer from the API: the connection failed or was cut/)
      .waitFor();

    // A gateway's 502 on the retry: still no answer from the API, the same key kept.
    await page.route("**/register", (route) => route.fulfill({ status: 502, body: "" }), {
      times: 1,
    });
    await button.click();
    await register
      .getByRole("alert")
      .getByText(/answered 502/)
      .waitFor();

    // Before, this was the phone number's 409, and the officer never learnt the customer's id.
    await button.click();
    await register
      .locator("#register-result")
      .getByText(/^Registered customer \d+$/)
      .waitFor();
    expect(await register.locator(".verdict").innerText()).toBe(
      `Registered customer ${lost.customer_id}`,
    );
    await register
      .getByText(/^Already sent: this is the first answer; nothing new was registered/)
      .waitFor();
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);

    // Pressed again unchanged, it is the same registration (it was the phone number's 409)...
    const replayed = page.waitForResponse("**/register");
    await button.click();
    expect((await replayed).headers()["idempotent-replayed"]).toBe("true");
    await suite.session().settled();
    expect(await register.locator(".verdict").innerText()).toBe(
      `Registered customer ${lost.customer_id}`,
    );
    expect(keys).toHaveLength(4);
    expect(keys[3]).toBe(keys[0]);
    // ...and the next customer typed is registered under a key of its own.
    await fillByLabel(register, newApplicant());
    await button.click();
    // The first customer's verdict stays until the answer: the wait is for another one.
    await register
      .locator("#register-result .verdict", {
        hasNotText: new RegExp(`^Registered customer ${lost.customer_id}$`),
      })
      .getByText(/^Registered customer \d+$/)
      .waitFor();
    expect(await register.locator(".replayed").count()).toBe(0);
    expect(new Set(keys).size).toBe(2);
  });

  it("shows the customer again, not the phone number's 409, when Register is pressed again after the answer", async () => {
    // A slow double click: the second press lands after the 201. It was the phone number's 409,
    // which took the new customer's ID off the page, and the API has no lookup by phone number.
    const { register, keys } = await registrationTyped();
    const button = register.getByRole("button", { name: "Register" });
    await button.click();
    const verdict = register.locator("#register-result .verdict");
    const registered = await verdict.getByText(/^Registered customer \d+$/).innerText();
    await button.click();
    await register
      .getByText(/^Already sent: this is the first answer; nothing new was registered/)
      .waitFor();
    expect(await verdict.innerText()).toBe(registered);
    expect(await register.locator("#register-phone_number-error").innerText()).toBe("");
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
  });

  it("sends a registration pressed again a day after its answer: the phone number on file refuses it", async () => {
    // Sent again once the API has forgotten its key, a registration is refused (409), never made
    // twice: the console sends it, where it said "Not sent … (a second loan)" of a registration.
    const { page, register } = await registrationTyped();
    await page.clock.install();
    const button = register.getByRole("button", { name: "Register" });
    await button.click();
    await register
      .locator("#register-result")
      .getByText(/^Registered customer \d+$/)
      .waitFor();

    await page.clock.setSystemTime(Date.now() + 25 * 60 * 60 * 1000);
    await expireEveryKey();
    await button.click();
    await suite.session().settled();
    expect(await register.getByText(/loan/).count()).toBe(0);
    expect(await register.getByText(/^Not sent/).count()).toBe(0);
    await register
      .locator("#register-phone_number-error")
      .getByText(/already on file/)
      .waitFor();
  });

  it("brings a registration unanswered at a reload back with its key: typed again, it is replayed", async () => {
    const { page, register, keys } = await registrationTyped();
    const typed = await register.getByLabel("Phone number").inputValue();
    const lost = (await reloadOnceReached(page, "**/register", () =>
      register.getByRole("button", { name: "Register" }).click(),
    )) as { customer_id: number };

    expect(await register.getByLabel("Phone number").inputValue()).toBe(typed);
    await register
      .getByText(/^A registration sent before this page was reloaded got no answer/)
      .waitFor();
    // Cleared and typed again as the officer might: the same values are the same registration.
    await fillByLabel(register, { "Monthly income": "" });
    await fillByLabel(register, { "Monthly income": "45,000.00" });
    await register.getByRole("button", { name: "Register" }).click();
    await register
      .getByText(/^Already sent: this is the first answer; nothing new was registered/)
      .waitFor();
    expect(await register.locator(".verdict").innerText()).toBe(
      `Registered customer ${lost.customer_id}`,
    );
    expect(new Set(keys).size).toBe(1);
  });
});
