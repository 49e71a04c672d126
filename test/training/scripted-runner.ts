import type { RunProgress, RunResult } from '../../src/app/services.ts';
import type { Store } from '../../src/store/store.ts';
import { INTERRUPTED, type JobHooks, type JobRequest, type JobRunner } from '../../src/training/runner.ts';

interface PendingJob {
  request: JobRequest;
  hooks: JobHooks;
  resolve(result: RunResult): void;
  reject(error: unknown): void;
}

/**
 * A job runner the test drives by hand: jobs stay running until the test ends them. Ending one
 * successfully records what a real job records (a model at the corpus revision it read, the run
 * finished), so the scheduler sees the same store as in production.
 */
export class ScriptedRunner {
  readonly requests: JobRequest[] = [];
  readonly #pending = new Map<number, PendingJob>();

  constructor(private readonly store: Store) {}

  readonly runner: JobRunner = (request, hooks) =>
    new Promise<RunResult>((resolve, reject) => {
      this.requests.push(request);
      this.#pending.set(request.run.id, { request, hooks, resolve, reject });
      // Like a real job, an abort ends the job without recording anything itself.
      hooks.signal.addEventListener('abort', () => {
        this.#pending.delete(request.run.id);
        resolve({ status: 'failed', runId: request.run.id, error: INTERRUPTED });
      });
    });

  /** Ids of the runs currently executing, oldest first. */
  get running(): number[] {
    return [...this.#pending.keys()];
  }

  /** Guilds of the runs currently executing. */
  get runningGuilds(): string[] {
    return [...this.#pending.values()].map((job) => job.request.run.guildId);
  }

  reportProgress(runId: number, epoch: number): RunProgress {
    const job = this.#take(runId, false);
    const progress: RunProgress = {
      runId,
      guildId: job.request.run.guildId,
      phase: 'training',
      epoch,
      maxEpochs: 10,
      batch: 1,
      batchesPerEpoch: 1,
      loss: 2.5,
      tokensPerSecond: 100,
      etaSeconds: 5,
    };
    job.hooks.onProgress(progress);
    return progress;
  }

  /** Ends a job as a real one does: model saved (promoted or not) and the run finished. */
  succeed(runId: number, promote = true): RunResult {
    const job = this.#take(runId, true);
    const { guildId } = job.request.run;
    const corpus = this.store.corpus(guildId);
    const saved = this.store.saveModel(
      {
        guildId,
        topology: { scripted: true },
        weights: new Uint8Array([1, 2, 3]),
        vocabulary: { tokens: [] },
        hyperparameters: {},
        metrics: { history: [] },
        corpusSentences: corpus.sentences.length,
        corpusRevision: corpus.revision,
        fromScratch: job.request.run.kind === 'full',
      },
      { promote },
    );
    this.store.finishRun(runId, { status: 'succeeded', modelId: saved.id });
    const result: RunResult = {
      status: 'succeeded',
      runId,
      modelVersion: saved.version,
      promoted: promote,
      sentences: corpus.sentences.length,
      vocabularySize: 0,
      finalLoss: 1,
      seconds: 1,
      history: [],
    };
    job.resolve(result);
    return result;
  }

  /** Ends a job with a failure it could not record (like a crashed worker). */
  crash(runId: number, error: string): void {
    this.#take(runId, true).resolve({ status: 'failed', runId, error });
  }

  /** Makes the runner itself throw. */
  reject(runId: number, error: Error): void {
    this.#take(runId, true).reject(error);
  }

  #take(runId: number, remove: boolean): PendingJob {
    const job = this.#pending.get(runId);
    if (!job) throw new Error(`run ${runId} is not executing`);
    if (remove) this.#pending.delete(runId);
    return job;
  }
}
