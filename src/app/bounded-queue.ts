/**
 * Runs tasks a few at a time with a short line of waiting ones, and refuses a task at once when the
 * line is full: a member told to try again in a few seconds is better served than one whose
 * request waits behind a flood and is answered minutes late.
 *
 * @module
 */

/** See the module description. */
export class BoundedQueue {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  /**
   * @param concurrency - tasks running at once.
   * @param capacity - tasks that may wait for a turn.
   */
  constructor(
    private readonly concurrency: number,
    private readonly capacity: number,
  ) {}

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /** Starts `task` now or when a running one ends; null, without starting it, when the line is full. */
  offer<T>(task: () => Promise<T>): Promise<T> | null {
    if (this.#running >= this.concurrency && this.#waiting.length >= this.capacity) return null;
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.#running += 1;
        void task()
          .then(resolve, reject)
          .finally(() => {
            this.#running -= 1;
            this.#waiting.shift()?.();
          });
      };
      if (this.#running < this.concurrency) start();
      else this.#waiting.push(start);
    });
  }
}
