/**
 * The slow use cases, `/generate` (up to 50 forward passes) and `/explain` (measurements of half a
 * second and more), as jobs: plain data in, plain data out, run against a {@link ModelRegistry}.
 * The serving worker threads run them on models of their own (`serving-worker.ts`); an in-memory
 * store, which no other thread can see, runs them in this thread.
 *
 * @module
 */
import { buildExplanation } from '../explain/explanation.ts';
import type { ExplainTopic } from '../explain/topics.ts';
import { sampleContinuation } from '../lm/predict.ts';
import { Random } from '../lm/random.ts';
import type { Store } from '../store/index.ts';
import type { ModelRegistry } from './model-registry.ts';
import type { ModelInfo } from './services.ts';

/** A job for the serving threads. */
export type ServingJob =
  | {
      kind: 'generate';
      guildId: string;
      /** The tokens to continue (already tokenized, never empty). */
      start: string[];
      length: number;
      temperature: number;
      seed: number;
    }
  | { kind: 'explain'; guildId: string; text?: string; topic?: ExplainTopic; locale: string };

/** What a generate job answers; `no_model` when the guild has no model. */
export type GenerateResult = { status: 'ok'; generated: string[]; unknown: string[]; model: ModelInfo } | { status: 'no_model' };

/** What an explain job answers: the pages and the chart's PNG bytes. */
export type ExplainResult = { status: 'ok'; pages: string[]; chart?: Uint8Array; model: ModelInfo } | { status: 'no_model' };

/** The result of each kind of job. */
export interface ServingResults {
  generate: GenerateResult;
  explain: ExplainResult;
}

/** What answers a job of any kind. */
export type ServingResult = ServingResults[ServingJob['kind']];

/** Runs a job on the guild's serving model, held until the job is done. */
export function runServingJob<Job extends ServingJob>(models: ModelRegistry, store: Store, job: Job): Promise<ServingResults[Job['kind']]> {
  const known: ServingJob = job;
  const result: Promise<ServingResult> = known.kind === 'generate' ? generate(models, known) : explain(models, store, known);
  // The kind of the job decides the kind of the result.
  return result as Promise<ServingResults[Job['kind']]>;
}

function generate(models: ModelRegistry, job: Extract<ServingJob, { kind: 'generate' }>): Promise<GenerateResult> {
  return models.use(job.guildId, (serving): GenerateResult => {
    if (serving === null) return { status: 'no_model' };
    const { unknown } = serving.vocabulary.encode(job.start);
    const generated = sampleContinuation(serving.language, job.start, job.length, job.temperature, new Random(job.seed));
    return { status: 'ok', generated, unknown, model: serving.info };
  });
}

function explain(models: ModelRegistry, store: Store, job: Extract<ServingJob, { kind: 'explain' }>): Promise<ExplainResult> {
  return models.use(job.guildId, async (serving): Promise<ExplainResult> => {
    if (serving === null) return { status: 'no_model' };
    const digest = await serving.corpus();
    // The examples were sampled when the model first read the corpus: a sentence deleted since
    // must not be shown.
    const present = store.presentSentenceIds(job.guildId, digest.examples.map((example) => example.id));
    const { pages, chart } = await buildExplanation({
      serving,
      corpus: { ...digest, examples: digest.examples.filter((example) => present.has(example.id)) },
      text: job.text,
      topic: job.topic,
      locale: job.locale,
    });
    return { status: 'ok', pages, ...(chart === undefined ? {} : { chart }), model: serving.info };
  });
}
