import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startLocalWorker } from "../../scripts/lib/local-worker";
import { apiKeySetting } from "../node/server-per-file";
import { registerInConsole, storedKey } from "./support/console-page";
import { recordTexts } from "./support/record-texts";
import { useBrowserAndWorker } from "./support/suite";

/*
 * The console against a Worker with API keys on (API_KEYS holds the key's SHA-256, never the
 * key): it asks for the key because GET /api says one is required, keeps it in this tab's session
 * storage only, sends it, and asks again when the API refuses it.
 */

const KEY = `console-test-${randomBytes(24).toString("hex")}`;
const DIGEST = apiKeySetting(KEY);

const suite = useBrowserAndWorker(() => startLocalWorker({ API_KEYS: DIGEST }));
const url = suite.url;

describe("the console with API keys on", () => {
  it("asks for the key, keeps it in session storage only, and works once it is entered", async () => {
    // The server side: the API wants the key; the console, its assets and the docs do not.
    expect((await fetch(url("/view-loans/1"))).status).toBe(401);
    const index = (await (await fetch(url("/api"))).json()) as { api_key_required: boolean };
    expect(index.api_key_required).toBe(true);
    for (const path of ["/", "/console", "/console.js", "/docs", "/openapi.json"]) {
      expect((await fetch(url(path))).status, path).toBe(200);
    }

    const { page, context } = suite.session();
    await page.goto(url("/"));
    const panel = page.getByRole("region", { name: "API key" });
    await panel.waitFor({ state: "visible" });
    const keyInput = panel.getByLabel("API key");
    expect(await page.locator(":focus").getAttribute("id")).toBe("api-key");

    await keyInput.fill(KEY);
    await keyInput.press("Enter");
    await panel.waitFor({ state: "hidden" });
    // Hidden, the panel is no longer a region: its input is found by id.
    expect(await page.locator("#api-key").inputValue()).toBe("");
    // The key is in this tab's session storage, and nowhere that outlives the tab.
    expect(await storedKey(page)).toEqual({ session: KEY, local: 0, cookie: "" });
    expect(await context.cookies()).toEqual([]);

    const form = await registerInConsole(page);
    await form
      .locator("#register-result")
      .getByText(/Registered customer \d+/)
      .waitFor();

    // A reload keeps it (same tab); another tab has its own session storage and asks again.
    await page.reload();
    await page.locator("#register-first_name").waitFor();
    expect(await storedKey(page)).toMatchObject({ session: KEY });
    expect(await panel.isVisible()).toBe(false);
    const otherTab = await context.newPage();
    await otherTab.goto(url("/"));
    await otherTab.getByRole("region", { name: "API key" }).waitFor({ state: "visible" });
    expect(await storedKey(otherTab)).toMatchObject({ session: null });
  });

  it("forgets a key the API refuses and asks for another, showing the 401 in the form", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    const panel = page.getByRole("region", { name: "API key" });
    await panel.getByLabel("API key").fill("not-the-key");
    await panel.getByRole("button", { name: "Use this key" }).click();
    await panel.waitFor({ state: "hidden" });

    const form = await registerInConsole(page);
    await panel.waitFor({ state: "visible" });
    await panel.getByText("The API did not accept that key").waitFor();
    expect(await form.locator("#register-form-error").innerText()).toMatch(/not valid/);
    expect(await storedKey(page)).toMatchObject({ session: null });

    await panel.getByLabel("API key").fill(KEY);
    await panel.getByRole("button", { name: "Use this key" }).click();
    await form.getByRole("button", { name: "Register" }).click();
    await form
      .locator("#register-result")
      .getByText(/Registered customer \d+/)
      .waitFor();
  });

  it("shows the loan a bookmarked address names once the key is entered, without a stale 401", async () => {
    const post = async (path: string, body: unknown) => {
      const response = await fetch(url(path), {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${KEY}` },
        body: JSON.stringify(body),
      });
      expect(response.status, path).toBe(201);
      return (await response.json()) as { customer_id: number; loan_id: number };
    };
    const { customer_id } = await post("/register", {
      first_name: "Ishaan",
      last_name: "Bose",
      age: 41,
      monthly_income: 70_000,
      phone_number: 7_400_000_000 + Math.floor(Math.random() * 1_000_000),
    });
    const { loan_id } = await post("/create-loan", {
      customer_id,
      loan_amount: 80_000,
      interest_rate: 14,
      tenure: 12,
    });

    // A bookmark opened in a new tab, which has no key yet: the lookup is refused, the key asked for.
    const { page } = suite.session();
    await page.goto(url(`/#loan/${loan_id}`));
    const panel = page.getByRole("region", { name: "API key" });
    await panel.waitFor({ state: "visible" });
    const loan = page.locator("#view-loan");
    const alert = loan.locator("#loan-form-error");
    await alert.getByText(/requires an API key/).waitFor();
    await panel.getByLabel("API key").fill(KEY);
    await panel.getByLabel("API key").press("Enter");

    await loan.locator("#loan-result .verdict", { hasText: `Loan ${loan_id}` }).waitFor();
    expect(await alert.innerText()).toBe("");
    await loan.locator("#payment-due").getByText("Period 1").waitFor();
  });

  it("refuses a key no header can carry (a pasted dash), rather than keep it and fail every request", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    const panel = page.getByRole("region", { name: "API key" });
    const keyInput = panel.getByLabel("API key");
    await keyInput.fill(`${KEY.slice(0, 10)}\u2013${KEY.slice(11)}`);
    await keyInput.press("Enter");
    await panel
      .locator("#api-key-error")
      .getByText("An API key has only letters, digits and punctuation")
      .waitFor();
    expect(await keyInput.getAttribute("aria-invalid")).toBe("true");
    expect(await storedKey(page)).toMatchObject({ session: null });

    await keyInput.fill(KEY);
    await keyInput.press("Enter");
    await panel.waitFor({ state: "hidden" });
    const form = await registerInConsole(page);
    await form
      .locator("#register-result")
      .getByText(/Registered customer \d+/)
      .waitFor();
  });
  // Enter pressed in the key's field leaves the focus there: the field does not take it again,
  // so a screen reader heard nothing of why the key was not taken, unless a live region says it.
  it("says why a key was refused when Enter was pressed in its field", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    const panel = page.getByRole("region", { name: "API key" });
    const keyInput = panel.getByLabel("API key");
    await keyInput.waitFor();
    expect(await page.locator(":focus").getAttribute("id")).toBe("api-key");
    const said = await recordTexts(page, "#api-key-form + [role=status]");
    await keyInput.press("Enter");
    await panel.locator("#api-key-error").getByText("Enter the API key.").waitFor();
    // The status is written on the next animation frame, after the error: it is polled for.
    await expect.poll(said, { timeout: 10_000 }).toEqual(["Enter the API key."]);

    await keyInput.fill(`${KEY.slice(0, 10)}\u2013${KEY.slice(11)}`);
    await keyInput.press("Enter");
    await panel.locator("#api-key-error").getByText("An API key has only letters").waitFor();
    await expect
      .poll(async () => (await said()).at(-1), { timeout: 10_000 })
      .toMatch(/^An API key has only letters/);
  });

  // The same words written again into a live status are no change to announce: a second Enter on
  // an empty key could be met with silence. The status empties first, then says them again.
  it("says it again when Enter is pressed again on an empty key", async () => {
    const { page } = suite.session();
    await page.goto(url("/"));
    const keyInput = page.getByRole("region", { name: "API key" }).getByLabel("API key");
    await keyInput.waitFor();
    const said = await recordTexts(page, "#api-key-form + [role=status]", true);
    await keyInput.press("Enter");
    await expect.poll(said, { timeout: 10_000 }).toEqual(["Enter the API key."]);
    await keyInput.press("Enter");
    await expect
      .poll(said, { timeout: 10_000 })
      .toEqual(["Enter the API key.", "", "Enter the API key."]);
  });
});
