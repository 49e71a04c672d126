/**
 * A bot-like process for crash tests: opens the store, starts the training service (real worker
 * threads) and reports what happens as JSON lines on stdout.
 *
 * Usage: node --import tsx test/support/training-service-process.ts <db file> <options JSON>
 * Options: `maxEpochs` of every run; `retrainGuild` to request a full retrain of at start;
 * `teachWhenTraining`, a sentence taught (and reported) once training has started. The process
 * stops the service and exits after the first run that ends.
 */
import { openStore } from '../../src/store/index.ts';
import { createTrainingService } from '../../src/training/service.ts';

interface Options {
  maxEpochs: number;
  retrainGuild?: string;
  teachWhenTraining?: { guildId: string; text: string };
}

const [dbPath, optionsJson] = process.argv.slice(2);
if (dbPath === undefined || optionsJson === undefined) throw new Error('usage: <db file> <options JSON>');
const options = JSON.parse(optionsJson) as Options;
const say = (event: object): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

const store = openStore(dbPath);
const service = createTrainingService({
  store,
  dbPath,
  config: { intervalMinutes: 60, retrainMinChanges: 1000, concurrency: 1, budgetMinutes: 1 },
  job: { hyperparameters: { maxEpochs: options.maxEpochs } },
});

let reportedTraining = false;
service.on('progress', (progress) => {
  if (progress.phase !== 'training' || reportedTraining) return;
  reportedTraining = true;
  const teach = options.teachWhenTraining;
  const taught = teach
    ? store.addSentence({
        guildId: teach.guildId,
        channelId: null,
        authorId: 'member',
        text: teach.text,
        tokens: teach.text.split(' '),
        dedupeKey: teach.text,
        source: 'console',
      })
    : undefined;
  say({ event: 'training', runId: progress.runId, taught });
});
service.on('runFinished', (guildId, result) => {
  say({ event: 'finished', guildId, result });
  void service.stop().then(() => store.close());
});

service.start();
if (options.retrainGuild) service.requestRetrain(options.retrainGuild, { full: true, requestedBy: 'operator' });
say({ event: 'started' });
