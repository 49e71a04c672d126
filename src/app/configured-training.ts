/**
 * The training service and the scheduled backups as the configuration asks for them: shared by the
 * bot (`createApp`) and the trainer process (`createTrainer`), which differ only in whether they
 * also serve.
 *
 * @module
 */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { isPostgresUrl, type Store } from '../store/index.ts';
import { createTrainingService, type TrainingService } from '../training/service.ts';
import type { TrainingServiceOptions } from '../training/service-options.ts';
import { scheduleBackups, type ScheduledBackups } from './scheduled-backup.ts';

/** Options of the training service that tests and benchmarks replace. */
export type TrainingOverrides = Pick<TrainingServiceOptions, 'runner' | 'worker' | 'job' | 'clock'>;

/**
 * A (not yet started) training service configured from `config`. It executes runs only with
 * `TRAIN_IN_PROCESS`; otherwise it queues them and follows their rows.
 */
export function createConfiguredTraining(config: Config, store: Store, logger: Logger, overrides: TrainingOverrides = {}): TrainingService {
  return createTrainingService({
    store,
    dbPath: config.dbPath,
    config: {
      intervalMinutes: config.retrainIntervalMinutes,
      retrainMinChanges: config.retrainMinChanges,
      concurrency: config.trainingConcurrency,
      budgetMinutes: config.retrainBudgetMinutes,
      fullBudgetMinutes: config.fullRetrainBudgetMinutes,
      maxAttempts: config.retrainMaxAttempts,
      fullRetrainMinIntervalHours: config.fullRetrainMinIntervalHours,
    },
    logger,
    executesRuns: config.trainInProcess,
    staleRunMs: config.runLeaseSeconds * 1000,
    ...overrides,
    worker: { resourceLimits: { maxOldGenerationSizeMb: config.trainingWorkerMaxHeapMb }, ...overrides.worker },
    job: { keepVersions: config.modelVersionsKept, ...overrides.job },
  });
}

/**
 * The scheduled backups `BACKUP_DIR` asks for, or null without it. A PostgreSQL database is backed
 * up with PostgreSQL's own tools, not by the bot.
 */
export function scheduleConfiguredBackups(config: Config, store: Store, logger: Logger): ScheduledBackups | null {
  if (config.backupDir === null) return null;
  if (isPostgresUrl(config.dbPath)) {
    logger.warn({ backupDir: config.backupDir }, 'BACKUP_DIR is ignored with DATABASE_URL: back PostgreSQL up with pg_dump');
    return null;
  }
  return scheduleBackups((file) => store.backup(file), { dir: config.backupDir, everyHours: config.backupEveryHours, keep: config.backupKeep }, logger);
}
