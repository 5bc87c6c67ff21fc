/*
 * At most `limit` sends in flight: the script reads and chunks the next rows while the server
 * stores the previous ones, instead of waiting for each 202. The server still answers 202 only
 * once a send is committed, and the limit keeps the script from running far ahead of it. Chunks
 * are independent (each names its job and seq), so the order in which they land does not matter.
 * The first failure is rethrown by the next `add` or by `drain`.
 */
export class SendWindow {
  readonly #inFlight = new Set<Promise<void>>();
  #failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be at least 1");
  }

  /** Starts `send` once fewer than `limit` are in flight. */
  async add(send: () => Promise<void>): Promise<void> {
    this.#throwIfFailed();
    while (this.#inFlight.size >= this.limit) {
      await Promise.race(this.#inFlight);
      this.#throwIfFailed();
    }
    const running: Promise<void> = send()
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => this.#inFlight.delete(running));
    this.#inFlight.add(running);
  }

  /** Waits for every send in flight; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#inFlight);
    this.#throwIfFailed();
  }

  /** Waits for every send in flight and forgets failures: for cleaning up after an error. */
  async settle(): Promise<void> {
    await Promise.all(this.#inFlight);
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
