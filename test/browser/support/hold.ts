import type { Page, Route } from "playwright-core";

/** A promise the test resolves when it chooses: to hold a request back, or to learn one arrived. */
export function signal(): { fired: Promise<void>; fire: () => void } {
  let fire: () => void = () => undefined;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fired, fire };
}

/**
 * Holds the next request to `pattern` until `release()`, then answers it with `answer`; `reached`
 * resolves once the request is held.
 */
export async function hold(page: Page, pattern: string, answer: (route: Route) => Promise<void>) {
  const reached = signal();
  const released = signal();
  await page.route(
    pattern,
    async (route) => {
      reached.fire();
      await released.fired;
      await answer(route);
    },
    { times: 1 },
  );
  return { reached: reached.fired, release: released.fire };
}

/** Lets the next request to `pattern` reach the API, which does it, and cuts its answer off. */
export async function answerLost(page: Page, pattern: string) {
  await page.route(
    pattern,
    async (route) => {
      await route.fetch();
      await route.abort("connectionreset");
    },
    { times: 1 },
  );
}
