/*
 * /docs as a reader uses it, on either runtime: the API reference renders every operation of the
 * served OpenAPI document, with its script from the server itself and nothing from elsewhere, and
 * without the controls of Scalar's hosted services.
 */

import type { Page } from "playwright-core";
import { expect } from "vitest";
import type { Session } from "./session";

export async function expectDocsRenderEveryOperation(
  session: Session,
  url: (path: string) => string,
): Promise<void> {
  const { page, blocked } = session;
  const response = await fetch(url("/openapi.json"));
  expect(response.status).toBe(200);
  const spec = (await response.json()) as {
    paths: Record<string, Record<string, { summary: string }>>;
  };
  const operations = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.values(methods).map((operation) => ({ path, summary: operation.summary })),
  );
  // register, check-eligibility, create-loan, view-loan, view-loans, make-payment, view-statement,
  // and the two decision-record reads.
  expect(operations).toHaveLength(9);

  // Scalar opens the first tag's group; the others are opened as a reader would.
  await openDocs(page, url, ["Loans", "Servicing", "Decisions"]);
  for (const { path, summary } of operations) {
    const entry = page.getByText(summary, { exact: true }).first();
    await entry.click();
    // Clicking scrolls the operation into view; Scalar renders its method and path there.
    await page.getByText(path, { exact: true }).first().waitFor();
  }
  // Scalar's hosted services (agent, MCP, developer toolbar, hosted client) do nothing offline:
  // the page hides them and keeps what calls this API from the page itself.
  await page
    .getByRole("button", { name: /^Test Request/ })
    .first()
    .waitFor();
  const hostedServices = page.getByRole("button", {
    name: /^(Ask AI|Generate MCP|Developer Tools|Configure|Share|Deploy)$/,
  });
  expect(await hostedServices.allInnerTexts()).toEqual([]);
  expect(await page.getByText(/Ask AI|Generate MCP/).count()).toBe(0);
  expect(await page.locator('a[href*="client.scalar.com"]').count()).toBe(0);
  expect(blocked, "requests the docs page tried to send off this machine").toEqual([]);
}

/**
 * What the reference page's Test Request for `operation` (`get /view-loan/{loan_id}`) sends when
 * the reader presses Send without editing anything, and the status it gets back.
 */
export async function sendAsIsFromDocs(
  session: Session,
  url: (path: string) => string,
  where: { group: string; summary: string; operation: string },
): Promise<{ method: string; path: string; headers: Record<string, string>; status: number }> {
  const { page } = session;
  await openDocs(page, url, [where.group]);
  await page.getByText(where.summary, { exact: true }).first().click();
  await page.getByRole("button", { name: `Test Request (${where.operation})` }).click();
  const [method = "", path = ""] = where.operation.split(" ");
  const pathPattern = new RegExp(`^${path.replace(/\{\w+\}/g, "[^/]+")}$`);
  const sent = page.waitForRequest((request) => pathPattern.test(new URL(request.url()).pathname));
  await page.getByRole("button", { name: /Send \w+ request to/ }).click();
  const request = await sent;
  const response = await request.response();
  expect(request.method()).toBe(method.toUpperCase());
  return {
    method: request.method(),
    path: new URL(request.url()).pathname,
    headers: await request.allHeaders(),
    status: response?.status() ?? 0,
  };
}

/** /docs once it has rendered (its first operation listed), with these tags' groups opened. */
async function openDocs(
  page: Page,
  url: (path: string) => string,
  groups: string[],
): Promise<void> {
  await page.goto(url("/docs"));
  await page.getByText("Register a customer", { exact: true }).first().waitFor();
  for (const group of groups) {
    await page.getByRole("button", { name: `${group} Open Group` }).click();
  }
}
