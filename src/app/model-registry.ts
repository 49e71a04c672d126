import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import { LoopTurns } from './loop-turns.ts';
import { ModelCache, type ModelCacheStats } from './model-cache.ts';
import { ModelUnavailableError, ServingModel, type DigestCorpus } from './serving-model.ts';

export { ModelUnavailableError, ServingModel } from './serving-model.ts';

/** Memory limits of a {@link ModelRegistry}. */
export interface ModelRegistrySettings {
  /** Bytes the models in memory may hold together (`MODEL_CACHE_MB`). */
  budgetBytes: number;
  /** A model unused this long leaves memory (`MODEL_IDLE_MINUTES`). */
  idleMs: number;
}

/** Options of a {@link ModelRegistry}. */
export interface ModelRegistryOptions {
  /** How the guilds' corpora are digested (the 3-gram and what `/explain` quotes). */
  digestCorpus: DigestCorpus;
  /** The memory limits; by default {@link DEFAULT_MODEL_CACHE} (tools that load one model). */
  settings?: ModelRegistrySettings;
  logger?: Logger;
  now?: () => number;
}

/** Serving models in memory and the bytes the cache counts for them (weights, vocabulary, 3-gram). */
export interface HeldModels {
  models: number;
  bytes: number;
}

/** The defaults of `MODEL_CACHE_MB` and `MODEL_IDLE_MINUTES`. */
export const DEFAULT_MODEL_CACHE: ModelRegistrySettings = { budgetBytes: 512 * 2 ** 20, idleMs: 60 * 60_000 };

/**
 * How long a model that failed to load is answered as unavailable before it is tried again (a new
 * version is tried at once): a broken model must not cost a load on every request.
 */
export const FAILED_LOAD_RETRY_MS = 10 * 60_000;

/** How often models past their idle time are looked for, besides at every request. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Keeps guilds' serving models in memory (a {@link ModelCache}: a byte budget, an idle time, no
 * model disposed while a request uses it) and swaps to a newly promoted one.
 *
 * Every request asks the store which model serves the guild (an indexed read), so a model that the
 * training worker committed from its own connection is picked up on the next request, and the
 * previous one serves until that commit. A model that fails to load is logged and reported as
 * unavailable, for a while, without loading it again; the process carries on.
 */
export class ModelRegistry {
  readonly #store: Store;
  readonly #digestCorpus: DigestCorpus;
  readonly #logger: Logger | undefined;
  readonly #cache: ModelCache<ServingModel>;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #turns = new LoopTurns();
  /** Recounts in progress after removals, by guild: the guild's requests wait for them. */
  readonly #recounting = new Map<string, Promise<void>>();

  constructor(store: Store, options: ModelRegistryOptions) {
    this.#store = store;
    this.#digestCorpus = options.digestCorpus;
    this.#logger = options.logger;
    const settings = options.settings ?? DEFAULT_MODEL_CACHE;
    this.#cache = new ModelCache({ ...settings, failureRetryMs: FAILED_LOAD_RETRY_MS, ...(options.now === undefined ? {} : { now: options.now }) });
    this.#sweeper = setInterval(() => this.#cache.sweep(), Math.min(SWEEP_INTERVAL_MS, settings.idleMs));
    this.#sweeper.unref();
  }

  /**
   * Runs `use` with the guild's serving model (null when it has none), which stays loaded until
   * `use` settles, even if a newer model replaces it meanwhile. Uses with a model start one per
   * turn of the event loop (see {@link LoopTurns}), so timers and I/O run between two of them;
   * `urgent` uses (an answer due within Discord's 3 seconds) go before the others.
   *
   * @throws ModelUnavailableError when the serving model cannot be loaded.
   */
  async use<T>(guildId: string, use: (serving: ServingModel | null) => T | Promise<T>, options: { urgent?: boolean } = {}): Promise<T> {
    await this.#recounting.get(guildId);
    const info = this.#store.servingModelInfo(guildId);
    if (info === undefined) {
      this.#cache.evict(guildId);
      return use(null);
    }
    const lease = await this.#cache.acquire(guildId, info.id, async () => {
      const stored = this.#store.getModel(guildId, info.version);
      if (stored === undefined) throw new ModelUnavailableError(`Model version ${info.version} disappeared while loading`);
      const started = performance.now();
      const serving = await ServingModel.load(stored, this.#digestCorpus, this.#logger);
      this.#logger?.info({ guildId, version: info.version, kind: serving.kind, ms: Math.round(performance.now() - started) }, 'serving model loaded');
      return serving;
    });
    try {
      // One use per turn of the event loop: a burst of requests never holds the thread at once.
      await this.#turns.next(options.urgent);
      return await use(lease.value);
    } finally {
      lease.release();
    }
  }

  /**
   * Digests the guild's corpus again after sentences were removed, if its model is in memory (or
   * loading): its 3-gram and corpus facts stop counting them once this resolves, and the guild's
   * requests wait for it meanwhile. A model whose corpus cannot be digested leaves memory (the next
   * request loads it afresh), so a removed sentence never keeps serving.
   */
  recountCorpus(guildId: string): Promise<void> {
    const recount = (async () => {
      // A model loading now may have read the corpus before the removal.
      const serving = await this.#cache.settled(guildId);
      try {
        await serving?.recount();
      } catch (error) {
        this.#logger?.warn({ err: error, guildId }, 'corpus could not be digested again after a removal; the model is unloaded');
        this.#cache.evict(guildId);
      }
    })().finally(() => {
      if (this.#recounting.get(guildId) === recount) this.#recounting.delete(guildId);
    });
    this.#recounting.set(guildId, recount);
    return recount;
  }

  /** The models this thread holds in memory now, and their bytes (the serving threads hold their own). */
  held(): HeldModels {
    const { entries, bytes } = this.#cache.stats();
    return { models: entries, bytes };
  }

  /** Memory held and loads made, for logs and benchmarks. */
  stats(): ModelCacheStats {
    return this.#cache.stats();
  }

  /** Releases every loaded model (each as soon as no request uses it) and stops the idle sweeps. */
  dispose(): void {
    clearInterval(this.#sweeper);
    this.#cache.clear();
  }
}
