/**
 * `npm run trainer`: the retrain schedule and the training workers alone, beside bot processes
 * (shards) that share the database and leave training to it (`TRAIN_IN_PROCESS=false`). Several
 * trainers may run at once; each run is trained by exactly one, and a trainer that dies has its run
 * taken over by another (or by itself once restarted).
 *
 * @module
 */
import { startTrainer, type Trainer } from './app/create-trainer.ts';
import type { Config } from './config.ts';
import { loadConfigOrReport, onShutdown, serveMetrics } from './entry-points.ts';
import { errorMessage } from './errors.ts';
import { createLogger } from './log.ts';

const config = loadConfigOrReport({ discord: 'no' });
if (config !== null) await runTrainer(config);

async function runTrainer(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  let trainer: Trainer;
  try {
    trainer = startTrainer(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'the trainer could not start');
    process.stderr.write(`The trainer could not start: ${errorMessage(error)}\n`);
    process.exitCode = 1;
    return;
  }
  // Its own port: shards on the same machine serve theirs from METRICS_PORT on.
  const sources = { config: { ...config, metricsPort: config.trainerMetricsPort }, store: trainer.store, training: trainer.training, heldModels: () => ({}) };
  const served = await serveMetrics(sources, logger, () => trainer.close());
  if (served === undefined) return;
  onShutdown(logger, async () => {
    await served.metrics?.close();
    await trainer.close();
  });
}
