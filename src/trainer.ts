/**
 * `npm run trainer`: the retrain schedule and the training workers alone, beside bot processes
 * (shards) that share the database and leave training to it (`TRAIN_IN_PROCESS=false`). Several
 * trainers may run at once; each run is trained by exactly one, and a trainer that dies has its run
 * taken over by another (or by itself once restarted).
 *
 * @module
 */
import { startTrainer } from './app/create-trainer.ts';
import { loadConfigOrReport, onShutdown } from './entry-points.ts';
import { errorMessage } from './errors.ts';
import { createLogger } from './log.ts';

const config = loadConfigOrReport({ discord: 'no' });
if (config !== null) {
  const logger = createLogger({ level: config.logLevel });
  try {
    const trainer = startTrainer(config, logger);
    onShutdown(logger, () => trainer.close());
  } catch (error) {
    logger.fatal({ err: error }, 'the trainer could not start');
    process.stderr.write(`The trainer could not start: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  }
}
