import { ProblemError } from "../problem";

/**
 * The Workers rate-limiting binding's interface; the Node server supplies an in-memory one.
 * `limit` answers whether one more request under `key` is within the limit.
 */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** The window of the rate limit, in seconds (wrangler.toml's `period`). */
const RATE_LIMIT_PERIOD_SECONDS = 60;

export function tooManyRequests(): ProblemError {
  return new ProblemError({
    kind: "too-many-requests",
    detail: `Too many writes from this client. Retry after ${RATE_LIMIT_PERIOD_SECONDS} seconds.`,
    headers: { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) },
  });
}

/**
 * Fixed-window counter for one process (the Node server). Windows are per key; old keys are
 * dropped when their window has passed, so memory follows the number of active clients.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limitPerWindow: number,
    private readonly windowMs = RATE_LIMIT_PERIOD_SECONDS * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async limit({ key }: { key: string }): Promise<{ success: boolean }> {
    const now = this.now();
    if (this.#windows.size > 10_000) this.#sweep(now);
    const window = this.#windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      this.#windows.set(key, { start: now, count: 1 });
      return { success: true };
    }
    window.count++;
    return { success: window.count <= this.limitPerWindow };
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= this.windowMs) this.#windows.delete(key);
    }
  }
}
