/*
 * Debian's Chromium, driven by playwright-core. Playwright's own browser downloads are not used:
 * CI installs the distribution's package instead (.ci/run), so a missing browser is a failure
 * with instructions, never a skipped suite.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Another path for machines whose Chromium lives elsewhere (a developer's laptop). */
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const ARGS = [
  // Containers and CI runners have no user namespaces for Chromium's sandbox.
  "--no-sandbox",
  "--disable-gpu",
  // Nothing but the pages under test may reach the network.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * Headless, with a new empty profile: Playwright's launch() creates a fresh user-data-dir for
 * every browser and deletes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}; the browser tests need it. Install Debian's package: apt-get install chromium (.ci/run does so when it is missing), or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    timeout: 60_000,
  });
}
