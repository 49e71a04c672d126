/**
 * Which model answers a guild's predictions: the LSTM, or the Kneser-Ney 3-gram when the trigram
 * predicts the held-out sentences better. On a few hundred sentences a count-based model still
 * beats a network trained from scratch; serving the worse model there would only make the bot
 * look worse than a table of counts.
 *
 * @module
 */
import { evaluate } from './evaluate.ts';
import { KneserNeyTrigram } from './kneser-ney.ts';
import type { NextWordModel } from './predict.ts';

/** The kinds of model that can answer predictions. */
export type ServedKind = 'lstm' | 'kneser-ney';

/** The outcome of {@link chooseServedModel}, kept in a model's metrics. */
export interface ServedModelChoice {
  served: ServedKind;
  /** Held-out perplexity of the LSTM on the validation sentences. */
  lstmPerplexity: number;
  /** Held-out perplexity of a Kneser-Ney 3-gram built from the training sentences, same vocabulary. */
  kneserNeyPerplexity: number;
  /** Targets both were scored on: every word plus one end of sentence per sentence. */
  targets: number;
}

/**
 * Compares the LSTM's mean validation loss (nats per target, as the trainer measured it) with a
 * Kneser-Ney 3-gram trained on `train` and scored on the same `validation` sentences (ids of one
 * vocabulary), and names the better one. Ties go to the LSTM.
 */
export function chooseServedModel(
  lstmValidationLoss: number,
  train: readonly (readonly number[])[],
  validation: readonly (readonly number[])[],
  vocabSize: number,
): ServedModelChoice {
  const kneserNey = evaluate(validation, KneserNeyTrigram.train(train, vocabSize));
  const lstmPerplexity = Math.exp(lstmValidationLoss);
  return {
    served: kneserNey.perplexity < lstmPerplexity ? 'kneser-ney' : 'lstm',
    lstmPerplexity,
    kneserNeyPerplexity: kneserNey.perplexity,
    targets: kneserNey.tokens,
  };
}

/**
 * A Kneser-Ney 3-gram as a {@link NextWordModel}. Its context length is 2: the trigram reads the
 * last two words (a shorter input is preceded by the start of sentence), so a longer input is
 * reported as truncated to the words that were really used.
 */
export function kneserNeyNextWordModel(model: KneserNeyTrigram): NextWordModel {
  return { contextLength: 2, nextDistribution: (contextIds) => model.distribution(contextIds) };
}
