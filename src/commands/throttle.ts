/**
 * Sends only the latest of a stream of values, at most once per interval, one send at a time.
 * Training reports progress many times a second; Discord rate-limits message edits, so the
 * progress message is edited at most every few seconds with the newest figures.
 *
 * @module
 */

/** See the module description. */
export class LatestValueThrottle<T> {
  private pending: { value: T } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  /**
   * @param intervalMs - minimum time between the starts of two sends.
   * @param send - delivers a value; a rejection is passed to `onError` and does not stop later sends.
   */
  constructor(
    private readonly intervalMs: number,
    private readonly send: (value: T) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Offers a newer value; it replaces any value not yet sent. */
  push(value: T): void {
    if (this.closed) return;
    this.pending = { value };
    this.schedule();
  }

  /** Drops the unsent value, stops the timer and waits for a send in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private schedule(): void {
    if (this.timer !== null || this.inFlight !== null || this.pending === null) return;
    const delay = Math.max(0, this.lastSentAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), delay);
  }

  private flush(): void {
    this.timer = null;
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    this.lastSentAt = Date.now();
    this.inFlight = this.send(pending.value)
      .catch(this.onError)
      .finally(() => {
        this.inFlight = null;
        this.schedule();
      });
  }
}
