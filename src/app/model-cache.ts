/**
 * The serving models kept in memory, one version per guild: least recently used first out when
 * they outgrow a byte budget, out after an idle time, never disposed while in use, and with a
 * failed load remembered for a while instead of retried on every request.
 *
 * @module
 */

/** What the cache holds: its size, and how to release it. */
export interface CachedValue {
  /** Memory it holds, in bytes (an estimate; read again whenever the budget is checked). */
  readonly bytes: number;
  dispose(): void;
}

/** A value in use: {@link release} it once done, and not touch it afterwards. */
export interface Lease<V> {
  readonly value: V;
  release(): void;
}

/** Options of a {@link ModelCache}. */
export interface ModelCacheOptions {
  /** Bytes the cached values may hold together; values in use may exceed it until released. */
  budgetBytes: number;
  /** A value unused for this long is released. */
  idleMs: number;
  /** How long a failed load is answered with its error before it is tried again. */
  failureRetryMs: number;
  now?: () => number;
}

interface Entry<V> {
  key: string;
  version: number;
  value: V;
  users: number;
  lastUsed: number;
  /** Replaced or evicted while in use: disposed when its last user releases it. */
  retired: boolean;
}

interface Failure {
  version: number;
  at: number;
  error: unknown;
}

/** Memory and contents of a cache, for logs and benchmarks. */
export interface ModelCacheStats {
  entries: number;
  bytes: number;
  /** Loads that ran (a value read from storage), since the cache was created. */
  loads: number;
  /** Values released to keep within the budget. */
  evictedForBudget: number;
  /** Values released after their idle time. */
  evictedIdle: number;
  /** Requests answered with a remembered failure instead of a new load. */
  refusedAfterFailure: number;
}

/**
 * See the module description. Keys are guilds; a version is what the key serves now (its model's
 * id): asking for another version loads it and retires the previous one, which is disposed as soon
 * as no request uses it. A version that failed to load is not tried again before
 * `failureRetryMs`, unless another version is asked for.
 */
export class ModelCache<V extends CachedValue> {
  readonly #options: ModelCacheOptions;
  readonly #now: () => number;
  /** Least recently used first: a used entry moves to the end. */
  readonly #entries = new Map<string, Entry<V>>();
  readonly #loading = new Map<string, { version: number; value: Promise<V> }>();
  readonly #failures = new Map<string, Failure>();
  #stats = { loads: 0, evictedForBudget: 0, evictedIdle: 0, refusedAfterFailure: 0 };

  constructor(options: ModelCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The value `key` serves at `version`, loaded with `load` unless it is already in memory or
   * loading; the lease keeps it from being disposed until released.
   *
   * @throws what `load` threw, also when it threw within the last `failureRetryMs` for this version.
   */
  async acquire(key: string, version: number, load: () => Promise<V>): Promise<Lease<V>> {
    this.#releaseIdle();
    const entry = this.#entries.get(key);
    if (entry?.version === version) return this.#lease(entry);
    const failure = this.#failures.get(key);
    if (failure?.version === version && this.#now() - failure.at < this.#options.failureRetryMs) {
      this.#stats.refusedAfterFailure += 1;
      throw failure.error;
    }
    let loading = this.#loading.get(key);
    if (loading?.version !== version) {
      loading = { version, value: this.#load(key, version, load) };
      this.#loading.set(key, loading);
    }
    await loading.value;
    // Another request may have retired it meanwhile: lease what serves now, or load again.
    const loaded = this.#entries.get(key);
    return loaded?.version === version ? this.#lease(loaded) : this.acquire(key, version, load);
  }

  /**
   * The value `key` holds once any load in progress has ended, without using it (nothing keeps it
   * from being released); undefined when it holds none.
   */
  async settled(key: string): Promise<V | undefined> {
    await this.#loading.get(key)?.value.catch(() => undefined);
    return this.#entries.get(key)?.value;
  }

  /** The values held now, least recently used first. */
  values(): V[] {
    return [...this.#entries.values()].map((entry) => entry.value);
  }

  /** Releases what `key` holds (at once, or when its last user is done) and forgets its failure. */
  evict(key: string): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#retire(entry);
    this.#failures.delete(key);
  }

  /** Releases every value (each as soon as it is unused). */
  clear(): void {
    for (const entry of [...this.#entries.values()]) this.#retire(entry);
    this.#failures.clear();
  }

  /** Releases the values unused for the idle time, and those beyond the budget. */
  sweep(): void {
    this.#releaseIdle();
    this.#keepWithinBudget();
  }

  stats(): ModelCacheStats {
    let bytes = 0;
    for (const entry of this.#entries.values()) bytes += entry.value.bytes;
    return { entries: this.#entries.size, bytes, ...this.#stats };
  }

  async #load(key: string, version: number, load: () => Promise<V>): Promise<V> {
    try {
      this.#stats.loads += 1;
      const value = await load();
      const previous = this.#entries.get(key);
      if (previous !== undefined) this.#retire(previous);
      this.#entries.set(key, { key, version, value, users: 0, lastUsed: this.#now(), retired: false });
      this.#failures.delete(key);
      this.#keepWithinBudget();
      return value;
    } catch (error) {
      this.#failures.set(key, { version, at: this.#now(), error });
      throw error;
    } finally {
      if (this.#loading.get(key)?.version === version) this.#loading.delete(key);
    }
  }

  #lease(entry: Entry<V>): Lease<V> {
    entry.users += 1;
    this.#touch(entry);
    let released = false;
    return {
      value: entry.value,
      release: () => {
        if (released) return;
        released = true;
        entry.users -= 1;
        if (entry.retired) {
          if (entry.users === 0) entry.value.dispose();
        } else this.#touch(entry);
      },
    };
  }

  /** Marks an entry used now: it moves to the end of the order. */
  #touch(entry: Entry<V>): void {
    entry.lastUsed = this.#now();
    if (entry.retired) return;
    this.#entries.delete(entry.key);
    this.#entries.set(entry.key, entry);
  }

  #retire(entry: Entry<V>): void {
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    if (entry.retired) return;
    entry.retired = true;
    if (entry.users === 0) entry.value.dispose();
  }

  #releaseIdle(): void {
    const now = this.#now();
    for (const entry of [...this.#entries.values()]) {
      if (entry.users > 0) continue;
      // Entries are in the order of their last use (a lease or a release): the rest are more recent.
      if (now - entry.lastUsed < this.#options.idleMs) return;
      this.#retire(entry);
      this.#stats.evictedIdle += 1;
    }
  }

  /**
   * Releases unused values, least recently used first, until the rest fit the budget. The most
   * recently used value always stays: a model larger than the budget still serves its guild.
   */
  #keepWithinBudget(): void {
    let bytes = 0;
    for (const entry of this.#entries.values()) bytes += entry.value.bytes;
    const newest = [...this.#entries.values()].at(-1);
    for (const entry of [...this.#entries.values()]) {
      if (bytes <= this.#options.budgetBytes) return;
      if (entry === newest || entry.users > 0) continue;
      bytes -= entry.value.bytes;
      this.#retire(entry);
      this.#stats.evictedForBudget += 1;
    }
  }
}
