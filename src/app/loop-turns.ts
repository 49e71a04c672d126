/**
 * Spreads CPU-bound steps over turns of the event loop. A continuation after `await` runs as a
 * microtask, and Node runs every queued microtask before it looks at timers or sockets again: fifty
 * `/predict` requests arriving together would run their forward passes back to back, holding the
 * thread (and the Discord connection) for half a second. Through {@link LoopTurns.next} each step
 * waits for a turn of its own, and the loop handles timers and I/O between two of them.
 *
 * @module
 */

/**
 * A queue of steps that run one per turn of the event loop, in the order they asked; urgent steps
 * before the others.
 */
export class LoopTurns {
  readonly #urgent: (() => void)[] = [];
  readonly #waiting: (() => void)[] = [];
  #scheduled = false;

  /**
   * Resolves at the caller's turn; whatever it runs synchronously after that is its step. An
   * `urgent` step (one whose answer has a deadline of its own) goes before the steps not urgent.
   */
  next(urgent = false): Promise<void> {
    return new Promise((resolve) => {
      (urgent ? this.#urgent : this.#waiting).push(resolve);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      // The step runs in the microtasks right after this callback; an immediate scheduled now
      // runs in the next turn, after timers and I/O.
      (this.#urgent.shift() ?? this.#waiting.shift())?.();
      if (this.#urgent.length + this.#waiting.length > 0) this.#schedule();
    });
  }
}
