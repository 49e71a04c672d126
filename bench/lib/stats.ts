/**
 * Percentiles and latency measurement.
 *
 * @module
 */

/** Nearest-rank percentile (`p` in 0..100) of unsorted values; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The median of unsorted values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Latency figures in milliseconds. */
export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Times `call` `samples` times after `warmup` untimed calls (which let the engine compile and
 * allocate), one call after the other.
 */
export function measureLatency(call: () => unknown, options: { warmup: number; samples: number }): LatencySummary {
  for (let i = 0; i < options.warmup; i++) call();
  const timings: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    const start = performance.now();
    call();
    timings.push(performance.now() - start);
  }
  return {
    samples: timings.length,
    p50Ms: percentile(timings, 50),
    p99Ms: percentile(timings, 99),
    maxMs: Math.max(...timings),
  };
}
