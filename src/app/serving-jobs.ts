/**
 * The use cases that run a model, as jobs: plain data in, plain data out, run against a
 * {@link ModelRegistry}. The serving worker threads run them on models of their own
 * (`serving-worker.ts`): `/generate` (up to 50 forward passes) and `/explain` (measurements of half
 * a second and more) in one pool, `/predict` and autocomplete (a forward pass each) in another; an
 * in-memory store, which no other thread can see, runs them in this thread.
 *
 * @module
 */
import { buildExplanation } from '../explain/explanation.ts';
import type { ExplainTopic } from '../explain/topics.ts';
import { predictNextWords, sampleContinuation, type Prediction } from '../lm/predict.ts';
import { detokenize } from '../lm/tokenizer.ts';
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
  | { kind: 'explain'; guildId: string; text?: string; topic?: ExplainTopic; locale: string }
  | { kind: 'predict'; guildId: string; text: string; count: number }
  /** Autocomplete: `typed` followed by each of the `limit` likeliest next words. */
  | { kind: 'complete'; guildId: string; typed: string; limit: number };

/** What a generate job answers; `no_model` when the guild has no model. */
export type GenerateResult = { status: 'ok'; generated: string[]; unknown: string[]; model: ModelInfo } | { status: 'no_model' };

/** What an explain job answers: the pages and the chart's PNG bytes. */
export type ExplainResult = { status: 'ok'; pages: string[]; chart?: Uint8Array; model: ModelInfo } | { status: 'no_model' };

/** What a predict job answers; `no_model` when the guild has no model. */
export type PredictResult = (Extract<Prediction, { status: 'ok' }> & { model: ModelInfo }) | Exclude<Prediction, { status: 'ok' }> | { status: 'no_model' };

/** The result of each kind of job (a complete job's: the suggestions, none without a model). */
export interface ServingResults {
  generate: GenerateResult;
  explain: ExplainResult;
  predict: PredictResult;
  complete: string[];
}

/** What answers a job of any kind. */
export type ServingResult = ServingResults[ServingJob['kind']];

/** Runs a job on the guild's serving model, held until the job is done. */
export function runServingJob<Job extends ServingJob>(models: ModelRegistry, store: Store, job: Job): Promise<ServingResults[Job['kind']]> {
  const known: ServingJob = job;
  let result: Promise<ServingResult>;
  switch (known.kind) {
    case 'generate':
      result = generate(models, known);
      break;
    case 'explain':
      result = explain(models, store, known);
      break;
    case 'predict':
      result = predict(models, known);
      break;
    case 'complete':
      result = complete(models, known);
      break;
  }
  // The kind of the job decides the kind of the result.
  return result as Promise<ServingResults[Job['kind']]>;
}

function predict(models: ModelRegistry, job: Extract<ServingJob, { kind: 'predict' }>): Promise<PredictResult> {
  return models.use(job.guildId, (serving): PredictResult => {
    if (serving === null) return { status: 'no_model' };
    const prediction = predictNextWords(serving.language, job.text, job.count);
    return prediction.status === 'ok' ? { ...prediction, model: serving.info } : prediction;
  });
}

function complete(models: ModelRegistry, job: Extract<ServingJob, { kind: 'complete' }>): Promise<string[]> {
  return models.use(
    job.guildId,
    (serving) => {
      if (serving === null) return [];
      const prediction = predictNextWords(serving.language, job.typed, job.limit);
      if (prediction.status !== 'ok') return [];
      const base = job.typed.trimEnd();
      return prediction.predictions.map(({ word }) => detokenize([base, word]));
    },
    // Suggestions are the answer itself, due within Discord's 3 s; a /predict reply is deferred.
    { urgent: true },
  );
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
