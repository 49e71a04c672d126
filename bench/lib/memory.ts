/**
 * Peak resident memory of this process.
 *
 * @module
 */

const MB = 1024 * 1024;

/** The highest resident set size of the process since it started (getrusage), in MB. */
export function processPeakRssMb(): number {
  // maxRSS is in kilobytes.
  return (process.resourceUsage().maxRSS * 1024) / MB;
}

/** A running {@link sampleRss}. */
export interface RssSampler {
  /** Stops sampling; returns the highest resident set size seen, in MB. Calling it again is harmless. */
  stop(): number;
}

/**
 * Samples the resident set size every `intervalMs` until stopped, to find the peak of one phase
 * when the process ran others before it (the getrusage peak covers the whole process). Samples are
 * taken only when the event loop turns: long synchronous stretches are seen at their end, so the
 * figure is a lower bound on the true peak of the phase.
 */
export function sampleRss(intervalMs = 50): RssSampler {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) / MB;
    },
  };
}
