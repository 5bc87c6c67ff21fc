import { describe, expect, it } from "vitest";
import { fillByLabel, loanRequest, view } from "./support/console-page";
import { type CuttingProxy, startCuttingProxy } from "./support/cutting-proxy";
import { startNodeServer } from "./support/node-server";
import { useBrowserAndWorker } from "./support/suite";

/*
 * An answer cut partway (headers sent, body cut) by a real dropped connection: the Node server
 * behind a TCP proxy that closes the socket mid-body, in Chromium.
 */

let proxy: CuttingProxy;
const suite = useBrowserAndWorker(async () => {
  const server = await startNodeServer();
  proxy = await startCuttingProxy(server.url);
  return {
    ...server,
    url: proxy.url,
    stop: async () => {
      await proxy.close();
      await server.stop();
    },
  };
});

describe("a booking whose answer is cut partway", () => {
  it("says the connection was cut; pressed again, it is replayed, not booked twice", async () => {
    const { customer_id } = await suite.created("/register", {
      first_name: "Meera",
      last_name: "Iyer",
      age: 35,
      monthly_income: 90_000,
      phone_number: 7_700_000_000 + Math.floor(Math.random() * 1_000_000),
    });
    const { page } = suite.session();
    await page.goto(suite.url("/#book"));
    const book = view(page, "book");
    await fillByLabel(book, loanRequest(customer_id, 50_000, 14, 12));
    proxy.cutNext("POST /create-loan");
    await book.getByRole("button", { name: "Book" }).click();

    await book
      .getByText(/^The request failed: no answer from the API: the connection failed or was cut/)
      .waitFor();
    expect(await book.getByLabel("Loan amount").inputValue()).toBe("50000");
    await book.getByRole("button", { name: "Book" }).click();
    await book
      .getByText(/^Already sent: this is the first answer; nothing new was booked/)
      .waitFor();
    const loans = await fetch(suite.url(`/view-loans/${customer_id}`));
    expect(((await loans.json()) as unknown[]).length).toBe(1);
  });
});
