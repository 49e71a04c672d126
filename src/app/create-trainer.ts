/**
 * The trainer process's application: the retrain schedule, the training workers and the scheduled
 * backups on the shared database, and nothing that serves. Any number of trainers and bot processes
 * may share one database: each run is claimed by exactly one of them (see the store's
 * `claimNextRun`), and a run whose trainer died is taken over by another.
 *
 * @module
 */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { TrainingService } from '../training/service.ts';
import { createConfiguredTraining, scheduleConfiguredBackups, type TrainingOverrides } from './configured-training.ts';
import { openLeasedStore } from './database-lease.ts';

/** A running trainer. */
export interface Trainer {
  store: Store;
  training: TrainingService;
  /** Stops training cleanly (interrupted runs are queued again), then closes the database. */
  close(): Promise<void>;
}

/** Opens the database and starts training; `TRAIN_IN_PROCESS` does not apply to a trainer. */
export function startTrainer(config: Config, logger: Logger, overrides: TrainingOverrides = {}): Trainer {
  const { store, lease } = openLeasedStore(config.dbPath, logger, { lease: true });
  const training = createConfiguredTraining({ ...config, trainInProcess: true }, store, logger, overrides);
  training.start();
  const backups = scheduleConfiguredBackups(config, store, logger);
  // The training timers do not keep a process alive (a bot's connection does); a trainer has no
  // connection, so this handle keeps it running until it is closed.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  logger.info({ concurrency: config.trainingConcurrency }, 'trainer started');
  let closed: Promise<void> | undefined;
  return {
    store,
    training,
    close() {
      closed ??= (async () => {
        clearInterval(keepAlive);
        await backups?.stop();
        await training.stop();
        lease?.release();
        store.close();
      })();
      return closed;
    },
  };
}
