/**
 * A small seeded pseudo-random generator, so that a fixed seed gives the same initial weights, the
 * same shuffling and the same dropout masks on every run and every backend.
 */
export class Random {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    // Mix the seed so that nearby seeds (1, 2, 3...) start far apart.
    this.state = Random.mix(Math.trunc(seed) >>> 0);
  }

  /** Derives an independent generator for a named purpose (weights, shuffling, dropout...). */
  fork(label: string): Random {
    let hash = this.state;
    for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
    return new Random(Random.mix(hash >>> 0));
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const value = this.spareNormal;
      this.spareNormal = undefined;
      return value;
    }
    const u = 1 - this.next(); // in (0, 1]: log(u) is finite
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const held = items[i] as T;
      items[i] = items[j] as T;
      items[j] = held;
    }
    return items;
  }

  /** A Float32Array of `size` values drawn uniformly from [low, high). */
  uniformArray(size: number, low: number, high: number): Float32Array {
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = this.uniform(low, high);
    return values;
  }

  /** A Float32Array of `size` values drawn from a normal distribution. */
  normalArray(size: number, mean = 0, standardDeviation = 1): Float32Array {
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = mean + standardDeviation * this.normal();
    return values;
  }

  /** splitmix32-style finaliser: spreads the bits of a 32-bit integer. */
  private static mix(value: number): number {
    let z = (value + 0x9e3779b9) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
}
