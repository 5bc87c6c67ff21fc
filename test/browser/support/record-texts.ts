import type { Page } from "playwright-core";

/**
 * Records every text the element at `selector` is given from now on, but its clearing (kept with
 * `keepClearing`: a status emptied before the same words again): for a status what a screen
 * reader says, for a result what the officer sees. Returns a reader of them.
 */
export async function recordTexts(
  page: Page,
  selector: string,
  keepClearing = false,
): Promise<() => Promise<string[]>> {
  await page.evaluate((target) => {
    const browser = globalThis as unknown as {
      document: { querySelector(selector: string): { textContent: string } };
      MutationObserver: new (
        callback: () => void,
      ) => { observe(node: unknown, options: Record<string, boolean>): void };
      recorded: Record<string, string[]>;
    };
    const element = browser.document.querySelector(target);
    browser.recorded ??= {};
    const texts: string[] = [];
    browser.recorded[target] = texts;
    new browser.MutationObserver(() => texts.push(element.textContent)).observe(element, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  }, selector);
  return () =>
    page.evaluate(
      ([target, keep]) =>
        (globalThis as unknown as { recorded: Record<string, string[]> }).recorded[target]?.filter(
          (text) => keep || text !== "",
        ) ?? [],
      [selector, keepClearing] as const,
    );
}
