/**
 * CPU priority of worker threads. The main thread holds the Discord connection and must
 * acknowledge every interaction within 3 seconds; training and the slow commands can wait. On
 * Linux a nice value belongs to a thread, so a worker lowers its own without slowing the main one.
 *
 * @module
 */
import os from 'node:os';

/** Training threads take the cores that the main and serving threads leave. */
export const TRAINING_NICE = 10;
/** Serving threads (`/explain`, `/generate`) come after the main thread and before training. */
export const SERVING_NICE = 5;

/**
 * Lowers the calling thread's CPU priority to `nice` (never raises it), on Linux only: elsewhere
 * the nice value belongs to the whole process, main thread included. A refusal by the system
 * leaves the priority as it was.
 */
export function lowerThreadPriority(nice: number): void {
  if (process.platform !== 'linux') return;
  try {
    // On Linux, pid 0 is the calling thread alone.
    os.setPriority(0, Math.max(os.getPriority(0), nice));
  } catch {
    // Not permitted here (a sandbox): the thread keeps its priority.
  }
}
