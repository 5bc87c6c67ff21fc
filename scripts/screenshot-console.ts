/**
 * `npm run screenshot:console`: the README's picture of the console (docs/console.png), taken the
 * way the browser tests see it: Debian's Chromium against a local Worker loaded with the lender's
 * workbooks, checking a real customer. Run it again after changing the console's look.
 */
import { fileURLToPath } from "node:url";
import { launchChromium } from "./lib/chromium";
import { fillByLabel, loanRequest, view } from "./lib/console-page";
import { startSeededWorker } from "./lib/seeded-worker";

const OUT = fileURLToPath(new URL("../docs/console.png", import.meta.url));

const browser = await launchChromium();
try {
  const worker = await startSeededWorker();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 860 } });
    await page.goto(`${worker.url}/#check`);
    // Customer 80 scores 47: eligible, with the requested 10 % raised to the band's 12 %.
    const check = view(page, "check");
    await fillByLabel(check, loanRequest(80, 200_000, 10, 24));
    await check.getByRole("button", { name: "Check" }).click();
    await check.locator("#check-result li.bar").first().waitFor();
    await page.screenshot({ path: OUT, fullPage: true });
    console.log(`wrote ${OUT}`);
  } finally {
    await worker.stop();
  }
} finally {
  await browser.close();
}
