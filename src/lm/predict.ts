/**
 * From text to next-word predictions: tokenization, unknown words, context truncation, top-k and
 * sampling, for any model that gives a distribution of the next id after a context.
 *
 * @module
 */
import { sentenceToSequences } from './engine/batches.ts';
import type { Distribution, NextTokenPredictor } from './evaluate.ts';
import { topCandidates } from './evaluate.ts';
import type { LstmLanguageModel } from './model.ts';
import type { Random } from './random.ts';
import { BOS, EOS, PAD } from './special-tokens.ts';
import { tokenize } from './tokenizer.ts';
import { Vocabulary } from './vocabulary.ts';

/** Anything that predicts the next id after a context of ids. */
export interface NextWordModel {
  /** Longest context (BOS included) the model was trained on. */
  readonly contextLength: number;
  nextDistribution(contextIds: readonly number[]): Distribution;
}

/** A model ready to answer: the network and the vocabulary it was trained with. */
export interface LanguageModel {
  model: NextWordModel;
  vocabulary: Vocabulary;
}

/** One predicted next word. */
export interface PredictedWord {
  word: string;
  probability: number;
}

/** What {@link predictNextWords} answers. */
export type Prediction =
  | {
      status: 'ok';
      tokens: string[];
      unknown: string[];
      contextUsed: string[];
      truncated: boolean;
      predictions: PredictedWord[];
    }
  | { status: 'empty_input' }
  | { status: 'all_unknown'; tokens: string[]; unknown: string[] };

/**
 * The ids fed to the model for a context: BOS first (`withStart`) when the whole input fits.
 * `truncated` says whether words of the input were left out (leaving out only BOS is not worth
 * telling a member).
 */
export function contextWindow(
  ids: readonly number[],
  contextLength: number,
): { context: number[]; withStart: boolean; truncated: boolean } {
  if (ids.length + 1 <= contextLength) return { context: [BOS, ...ids], withStart: true, truncated: false };
  // Training windows after the first start mid-sentence without BOS, so a long input is read the same way.
  return { context: ids.slice(ids.length - contextLength), withStart: false, truncated: ids.length > contextLength };
}

/** Wraps the LSTM as a {@link NextWordModel}. */
export function lstmNextWordModel(model: LstmLanguageModel): NextWordModel {
  return {
    contextLength: model.hyperparameters.contextLength,
    nextDistribution: (contextIds) => model.nextDistribution(contextIds),
  };
}

/**
 * Evaluates the LSTM the way it was trained: each sentence is read in the same windows as in
 * training, so every target is predicted with the context it would have had there.
 */
export function lstmPredictor(model: LstmLanguageModel): NextTokenPredictor {
  const { contextLength } = model.hyperparameters;
  return {
    sentenceDistributions(ids) {
      const distributions: Distribution[] = [];
      for (const { inputs, targets } of sentenceToSequences(ids, contextLength)) {
        const perStep = model.sequenceDistributions(inputs);
        targets.forEach((target, t) => {
          if (target !== PAD) distributions.push(perStep[t]!);
        });
      }
      return distributions;
    },
  };
}

/**
 * The `count` most likely next words after `text`. Special tokens are never offered as words; the
 * probabilities are the model's own (not renormalised), so they say how sure the model is.
 */
export function predictNextWords(language: LanguageModel, text: string, count: number): Prediction {
  const { tokens } = tokenize(text);
  if (tokens.length === 0) return { status: 'empty_input' };
  const { ids, unknown } = language.vocabulary.encode(tokens);
  if (unknown.length === tokens.length) return { status: 'all_unknown', tokens, unknown };
  const { context, truncated } = contextWindow(ids, language.model.contextLength);
  const distribution = language.model.nextDistribution(context);
  const predictions = topWords(language.vocabulary, distribution, count);
  const contextUsed = truncated ? tokens.slice(tokens.length - context.length) : tokens;
  return { status: 'ok', tokens, unknown, contextUsed, truncated, predictions };
}

/** The most probable real words of a distribution (special tokens skipped). */
export function topWords(vocabulary: Vocabulary, distribution: Distribution, count: number): PredictedWord[] {
  return topCandidates(distribution, count + Vocabulary.specialCount)
    .filter(({ id }) => !vocabulary.isSpecial(id))
    .slice(0, count)
    .map(({ id, probability }) => ({ word: vocabulary.tokenOf(id), probability }));
}

/**
 * Continues a text by sampling up to `length` words at the given temperature (lower is more
 * predictable); stops early at the end of a sentence. Unknown words are never produced.
 */
export function sampleContinuation(
  language: LanguageModel,
  startTokens: readonly string[],
  length: number,
  temperature: number,
  random: Random,
): string[] {
  const { vocabulary, model } = language;
  const ids = vocabulary.encode(startTokens).ids;
  const generated: string[] = [];
  while (generated.length < length) {
    const distribution = model.nextDistribution(contextWindow(ids, model.contextLength).context);
    const next = sampleId(distribution, temperature, random, (id) => id === EOS || !vocabulary.isSpecial(id));
    if (next === EOS) break;
    ids.push(next);
    generated.push(vocabulary.tokenOf(next));
  }
  return generated;
}

/** Draws an id from `p^(1/temperature)`, restricted to the allowed ids. */
function sampleId(distribution: Distribution, temperature: number, random: Random, allowed: (id: number) => boolean): number {
  const weights = new Float64Array(distribution.length);
  let total = 0;
  for (let id = 0; id < distribution.length; id++) {
    if (!allowed(id)) continue;
    const weight = Math.pow(distribution[id]!, 1 / temperature);
    weights[id] = weight;
    total += weight;
  }
  let threshold = random.next() * total;
  for (let id = 0; id < weights.length; id++) {
    threshold -= weights[id]!;
    if (threshold <= 0 && weights[id]! > 0) return id;
  }
  return EOS;
}
