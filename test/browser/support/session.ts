/*
 * One browser tab per test, in its own context (fresh storage), that can only reach the local
 * Worker: any other request is blocked and recorded, so a test can assert that none was needed.
 * A failed test leaves a full-page screenshot in test/browser/screenshots/ (gitignored).
 */
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";

const SCREENSHOTS = fileURLToPath(new URL("../screenshots/", import.meta.url));

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Requests the page tried to send anywhere but 127.0.0.1; all were blocked. */
  blocked: string[];
  /** Uncaught exceptions in the page's scripts. */
  pageErrors: string[];
  /**
   * Resolves once no request of the page has been in flight for a moment and no form or list of
   * the console is busy: an answer is drawn (and said) only after its request has finished.
   */
  settled(): Promise<void>;
}

export async function openSession(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, ...options });
  // Generous for a loaded 2-core machine, yet a hung step still fails inside the test's timeout.
  context.setDefaultTimeout(20_000);
  const blocked: string[] = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    blocked.push(url.href);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  let inFlight = 0;
  page.on("request", () => inFlight++);
  page.on("requestfinished", () => inFlight--);
  page.on("requestfailed", () => inFlight--);
  // The console marks a form (or a list loading more) aria-busy from its submission until its
  // answer is drawn, later than the request's end: the loan view reads its statement first.
  const busy = () =>
    page.evaluate(
      () =>
        (
          globalThis as unknown as { document: { querySelector(selector: string): unknown } }
        ).document.querySelector("main [aria-busy=true]") !== null,
    );
  const settled = async () => {
    const deadline = Date.now() + 20_000;
    let quietSince = Date.now();
    while (Date.now() - quietSince < 300 || (await busy())) {
      if (Date.now() > deadline) {
        throw new Error(`${inFlight} requests still in flight, or a form busy, after 20 s`);
      }
      if (inFlight > 0) quietSince = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { context, page, blocked, pageErrors, settled };
}

interface FinishedTest {
  name: string;
  file?: { name: string };
  result?: { state: string };
}

/** Screenshots the tab if the test failed, then closes its context. */
export async function closeSession(
  session: Session | undefined,
  test: FinishedTest,
): Promise<void> {
  if (!session) return;
  try {
    if (test.result?.state === "fail") {
      await mkdir(SCREENSHOTS, { recursive: true });
      const path = `${SCREENSHOTS}${slug(`${test.file?.name ?? "browser"} ${test.name}`)}.png`;
      await session.page.screenshot({ path, fullPage: true, timeout: 10_000 });
      console.error(`screenshot of the failed test: ${path}`);
    }
  } finally {
    await session.context.close();
  }
}

function slug(text: string): string {
  return text
    .replace(/^.*\//, "")
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 120);
}
