import type { Config } from '../config.ts';
import { initBackend } from '../lm/backend.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { TrainingService } from '../training/service.ts';
import { createBotServices } from './bot-services.ts';
import { CorpusDigester } from './corpus-digester.ts';
import { openLeasedStore } from './database-lease.ts';
import { ModelRegistry, type HeldModels } from './model-registry.ts';
import { createConfiguredTraining, scheduleConfiguredBackups, type TrainingOverrides } from './configured-training.ts';
import { createServingPool, MAX_WAITING_JOBS, MAX_WAITING_PREDICTIONS } from './serving-pool.ts';
import type { BotServices } from './services.ts';

/** The running application, independent of how users reach it (Discord, console, CLI). */
export interface App {
  config: Config;
  logger: Logger;
  store: Store;
  models: ModelRegistry;
  training: TrainingService;
  services: BotServices;
  /** The TensorFlow.js backend serving predictions on this thread. */
  backend: string;
  /** The serving models each kind of thread holds: this one, the /explain and /generate pool, the prediction pool. */
  heldModels(): Record<'main' | 'serving' | 'predictions', HeldModels>;
  /** Stops training cleanly (a half-trained model is never promoted), then closes the database. */
  close(): Promise<void>;
}

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /**
   * Serve as the bot does (one-shot CLI commands do not): hold the database's lease, so that a
   * restore is refused meanwhile, and, with `TRAIN_IN_PROCESS` (the default), start the retrain
   * schedule and the scheduled backups.
   */
  schedule: boolean;
  /** Extra options of the training service (tests, benchmarks). */
  training?: TrainingOverrides;
}

/** Wires the store, the serving models, the training service and the use cases together. */
export async function createApp(config: Config, logger: Logger, options: CreateAppOptions): Promise<App> {
  for (const { variable, message } of config.deprecations) logger.warn({ variable }, `${variable}: ${message}`);
  const backend = await initBackend(config.tfBackend ?? undefined);
  logger.info({ backend }, 'TensorFlow.js backend ready');
  const { store, lease } = openLeasedStore(config.dbPath, logger, { lease: options.schedule });
  const digester = new CorpusDigester(store);
  // MODEL_CACHE_MB is the process's: half for the prediction thread, which answers most requests,
  // a quarter for this thread (/stats, overflowing predictions), a quarter shared by the serving threads.
  const cacheOf = (share: number) => ({ budgetBytes: Math.floor(share * config.modelCacheMb * 2 ** 20), idleMs: config.modelIdleMinutes * 60_000 });
  const models = new ModelRegistry(store, { digestCorpus: (guildId, vocabulary) => digester.digest(guildId, vocabulary), settings: cacheOf(1 / 4), logger });
  const serving = createServingPool(store, {
    threads: config.servingWorkers,
    maxWaiting: MAX_WAITING_JOBS,
    whenFull: 'refuse',
    backend,
    cache: cacheOf(1 / 4 / config.servingWorkers),
    models,
  });
  // A thread of its own: members flooding /explain and /generate never reach it.
  const predictions = createServingPool(store, { threads: 1, maxWaiting: MAX_WAITING_PREDICTIONS, whenFull: 'run-here', backend, cache: cacheOf(1 / 2), models });
  const training = createConfiguredTraining(config, store, logger, options.training);
  const trains = options.schedule && config.trainInProcess;
  if (options.schedule) training.start();
  const backups = trains ? scheduleConfiguredBackups(config, store, logger) : null;
  const services = createBotServices({
    store,
    models,
    serving,
    predictions,
    training,
    settings: {
      retrainMinChanges: config.retrainMinChanges,
    },
    logger,
  });
  let closed: Promise<void> | undefined;
  return {
    config,
    logger,
    store,
    models,
    training,
    services,
    backend,
    heldModels: () => ({ main: models.held(), serving: serving.held(), predictions: predictions.held() }),
    close() {
      closed ??= (async () => {
        await backups?.stop();
        await training.stop();
        await serving.close();
        await predictions.close();
        models.dispose();
        await digester.close();
        lease?.release();
        store.close();
      })();
      return closed;
    },
  };
}
