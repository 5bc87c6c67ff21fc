import { monotonicNow } from "../monotonic-clock";
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
 * Clients whose windows the Node server keeps at once: about 20 MB of heap. Past it, a new client drops
 * the oldest window (that client's count starts afresh): a flood from this many addresses already
 * gets far more writes than a dropped count gives back, and memory stays bounded.
 */
const MAX_RATE_LIMITED_CLIENTS = 100_000;

interface Window {
  key: string;
  start: number;
  count: number;
}

/**
 * Fixed-window counter for one process (the Node server). Besides the map, the windows are kept in
 * a list in the order they started, so the expired ones are always at its front: each call drops
 * those it finds there, and memory follows the clients active in the last window, at most
 * `maxClients`. It used to walk every window on every call once 10,000 were open, so a flood from
 * rotating addresses cost the cluster's primary ~0.3–1 ms a write (docs/security.md). A list, not
 * the map's own order: deleting from a Map's front leaves holes its iteration walks again.
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, Window>();
  #started: Window[] = [];
  #oldest = 0;

  constructor(
    private readonly limitPerWindow: number,
    private readonly windowMs = RATE_LIMIT_PERIOD_SECONDS * 1000,
    // A monotonic clock: a wall clock set back (an NTP step, `date -s`) kept every open window,
    // and its 429s, for as long again, past the Retry-After its clients were given.
    private readonly now: () => number = monotonicNow,
    private readonly maxClients = MAX_RATE_LIMITED_CLIENTS,
  ) {}

  async limit({ key }: { key: string }): Promise<{ success: boolean }> {
    const now = this.now();
    while (this.#oldest < this.#started.length) {
      const oldest = this.#started[this.#oldest] as Window;
      if (this.#windows.get(oldest.key) === oldest && now - oldest.start < this.windowMs) break;
      this.#drop(oldest);
    }
    const window = this.#windows.get(key);
    if (window && now - window.start < this.windowMs) {
      window.count++;
      return { success: window.count <= this.limitPerWindow };
    }
    // Full: the oldest window still open goes (the loop above left it first in the list).
    if (!window && this.#windows.size >= this.maxClients) {
      this.#drop(this.#started[this.#oldest] as Window);
    }
    const fresh = { key, start: now, count: 1 };
    this.#windows.set(key, fresh);
    this.#started.push(fresh);
    return { success: true };
  }

  /** Forgets the list's first window (the map's too, unless the key has had a newer one since). */
  #drop(window: Window): void {
    if (this.#windows.get(window.key) === window) this.#windows.delete(window.key);
    this.#oldest++;
    // The list's dropped front is cut off once it is half the list: amortised O(1) a call.
    if (this.#oldest > 1024 && this.#oldest * 2 > this.#started.length) {
      this.#started = this.#started.slice(this.#oldest);
      this.#oldest = 0;
    }
  }
}
