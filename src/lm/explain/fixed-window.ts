/**
 * A fixed window beside the recurrence: the Kneser-Ney 3-gram sees only the last two words (like
 * NPLM's fixed `n_step`), the LSTM reads the whole context through its state.
 *
 * @module
 */
import type { KneserNeyTrigram } from '../kneser-ney.ts';
import type { LstmLanguageModel } from '../model.ts';
import { topWords, type PredictedWord } from '../predict.ts';
import { BOS } from '../special-tokens.ts';
import type { Vocabulary } from '../vocabulary.ts';
import { totalVariation } from './distribution.ts';

/** The width of the trigram's window: the words it conditions on. */
export const TRIGRAM_WINDOW = 2;

/** The result of {@link compareWithFixedWindow}. */
export interface FixedWindowComparison {
  /** The LSTM's top words for the whole context. */
  lstm: PredictedWord[];
  /** The trigram's top words (from the last two ids only). */
  trigram: PredictedWord[];
  /** The LSTM's top words when it too is given only the trigram's window. */
  lstmWindowOnly: PredictedWord[];
  /** How many words the LSTM read before the window (0: both read the same words). */
  wordsBeyondWindow: number;
  /** p_trigram of the LSTM's top word. */
  trigramOnLstmTop: number;
  /** p_LSTM of the trigram's top word. */
  lstmOnTrigramTop: number;
  /**
   * Total variation distance between the LSTM's distributions with the whole context and with the
   * window only: how much the words beyond the window moved the LSTM's prediction.
   */
  shiftFromEarlierWords: number;
  /** Total variation distance between the LSTM's and the trigram's distributions. */
  disagreement: number;
}

/**
 * Compares the two models on the same context (ids as the LSTM reads them, starting with BOS
 * unless truncated). Both models must share `vocabulary`.
 */
export function compareWithFixedWindow(
  lstm: LstmLanguageModel,
  trigram: KneserNeyTrigram,
  vocabulary: Vocabulary,
  contextIds: readonly number[],
  count: number,
): FixedWindowComparison {
  if (trigram.vocabSize !== lstm.vocabSize || vocabulary.size !== lstm.vocabSize) {
    throw new RangeError('the LSTM, the trigram model and the vocabulary must have the same ids');
  }
  const wordsBeyondWindow = contextIds.slice(0, -TRIGRAM_WINDOW).filter((id) => id !== BOS).length;
  // Cut mid-sentence, the window starts without BOS, as the LSTM's later training windows do.
  const window = wordsBeyondWindow > 0 ? contextIds.slice(-TRIGRAM_WINDOW) : [...contextIds];
  const [full, windowOnly] = lstm.nextDistributions([contextIds, window]) as [Float32Array, Float32Array];
  const fixed = trigram.distribution(contextIds);
  const lstmTop = topWords(vocabulary, full, count);
  const trigramTop = topWords(vocabulary, fixed, count);
  const probabilityOf = (distribution: ArrayLike<number>, word: PredictedWord | undefined): number =>
    word === undefined ? 0 : (distribution[vocabulary.idOf(word.word)] as number);
  return {
    lstm: lstmTop,
    trigram: trigramTop,
    lstmWindowOnly: topWords(vocabulary, windowOnly, count),
    wordsBeyondWindow,
    trigramOnLstmTop: probabilityOf(fixed, lstmTop[0]),
    lstmOnTrigramTop: probabilityOf(full, trigramTop[0]),
    shiftFromEarlierWords: totalVariation(full, windowOnly),
    disagreement: totalVariation(full, fixed),
  };
}
