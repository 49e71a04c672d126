import type { App } from '../app/create-app.ts';
import { errorMessage } from '../errors.ts';
import { trainsEpochs, type RunProgress, type RunResult } from '../training/types.ts';
import { createWorkerRunner } from '../training/worker-runner.ts';

/** Options of the `train` command. */
export interface TrainCommandOptions {
  epochs?: number;
  seed?: number;
  full: boolean;
}

/**
 * Trains one guild's model now, in a worker thread, with a live progress line, and stores it as a
 * new version. Only this guild's run is executed, so a bot running on the same database keeps its
 * own queue. Ctrl+C stops the run cleanly: nothing half-trained is stored.
 */
export async function runTrainCommand(app: App, guildId: string, options: TrainCommandOptions, print: (text: string) => void): Promise<number> {
  const kind = options.full || app.store.servingModelInfo(guildId) === undefined ? 'full' : 'incremental';
  const { run, created } = app.store.enqueueClaimedRun(guildId, { kind, trigger: 'cli', requestedBy: 'cli' });
  if (!created) {
    print(`a training run (#${run.id}, ${run.status}) is already active for guild '${guildId}'; try again when it ends\n`);
    return 1;
  }
  const hyperparameters = {
    ...(options.epochs === undefined ? {} : { maxEpochs: options.epochs }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGINT', abort);
  const line = progressLine(print, process.stdout.isTTY === true);
  let result: RunResult;
  try {
    const runner = createWorkerRunner({ dbPath: app.config.dbPath, resourceLimits: { maxOldGenerationSizeMb: app.config.trainingWorkerMaxHeapMb } });
    result = await runner(
      { run, settings: { budgetMinutes: app.config.retrainBudgetMinutes, fullBudgetMinutes: app.config.fullRetrainBudgetMinutes, keepVersions: app.config.modelVersionsKept, hyperparameters } },
      { signal: controller.signal, onProgress: line.update },
    ).catch((error: unknown): RunResult => ({ status: 'failed', runId: run.id, error: errorMessage(error) }));
  } finally {
    process.off('SIGINT', abort);
    line.end();
  }
  // A job records its own outcome; a worker that crashed could not.
  if (result.status !== 'succeeded') {
    app.store.finishRun(run.id, { status: result.status, error: result.status === 'failed' ? result.error : null });
  }
  if (result.status === 'failed') {
    print(`training failed: ${result.error}\n`);
    return 1;
  }
  if (result.status === 'cancelled') {
    print('training cancelled; the previous model still serves\n');
    return 1;
  }
  const validation =
    result.validationLoss === undefined
      ? ''
      : `, validation loss ${result.validationLoss.toFixed(3)}` +
        (result.validationAccuracy === undefined ? '' : `, accuracy ${(result.validationAccuracy * 100).toFixed(1)}%`);
  print(
    `model v${result.modelVersion}: ${result.sentences} sentences, vocabulary ${result.vocabularySize}, ` +
      `${result.history.length} epochs, loss ${result.finalLoss.toFixed(3)}${validation}, ${result.seconds.toFixed(1)} s\n`,
  );
  print(result.promoted ? 'now serving\n' : `kept but not serving: ${result.note ?? 'not promoted'}\n`);
  return 0;
}

/** A log line at most this often when the output is not a terminal (a file, a CI log). */
const LOG_LINE_INTERVAL_MS = 2000;

/** One status line, rewritten in place on a terminal; otherwise an epoch's line every few seconds. */
function progressLine(print: (text: string) => void, terminal: boolean) {
  let lastLineAt = -Infinity;
  let written = false;
  return {
    update(progress: RunProgress): void {
      if (!trainsEpochs(progress.phase)) return;
      const text = describeProgress(progress);
      if (terminal) {
        print(`\r\x1b[K${text}`);
        written = true;
      } else if (progress.batch === progress.batchesPerEpoch && performance.now() - lastLineAt >= LOG_LINE_INTERVAL_MS) {
        print(`${text}\n`);
        lastLineAt = performance.now();
      }
    },
    end(): void {
      if (written) print('\n');
    },
  };
}

function describeProgress(p: RunProgress): string {
  const parts =
    p.phase === 'cross-validating'
      ? [`cross-validating: training ${p.epoch}/${p.maxEpochs}`, `epoch ${p.batch}/${p.batchesPerEpoch}`]
      : [`${p.phase === 'refitting' ? 'on every sentence: ' : ''}epoch ${p.epoch}/${p.maxEpochs}`, `batch ${p.batch}/${p.batchesPerEpoch}`];
  if (p.loss !== null) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.tokensPerSecond !== null) parts.push(`${Math.round(p.tokensPerSecond).toLocaleString('en')} tokens/s`);
  if (p.etaSeconds !== null) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  return parts.join('  ');
}

function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`;
}
