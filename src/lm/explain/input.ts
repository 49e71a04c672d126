/**
 * The input every explanation works on: the member's tokens as the model reads them (the same
 * context window as `/predict`), and the word the model predicts after them.
 *
 * @module
 */
import type { LstmLanguageModel } from '../model.ts';
import { contextWindow, topWords } from '../predict.ts';
import { BOS, UNK } from '../special-tokens.ts';
import type { Vocabulary } from '../vocabulary.ts';

/** One position of the context fed to the model. */
export interface ContextPosition {
  /** What the member typed at this position, or `<s>` for the start of sentence. */
  token: string;
  id: number;
  /** The start-of-sentence marker the model adds; not a word of the member. */
  start: boolean;
  /** The typed word is not in the vocabulary: the model reads {@link UNK} here. */
  unknown: boolean;
}

/** The result of {@link explainedInput}. */
export interface ExplainedInput {
  /** Every token typed, before the context window is applied. */
  tokens: string[];
  /** The context the model reads, in order; ids are what the model receives. */
  positions: ContextPosition[];
  /** The input was longer than the model's context: only its last tokens are read. */
  truncated: boolean;
  /** Typed tokens that are not in the vocabulary, without repeats. */
  unknown: string[];
  /** The most probable real word after the context (what `/predict` shows first). */
  targetId: number;
  /** Its probability. */
  targetProbability: number;
}

/**
 * Reads `tokens` the way `/predict` does and finds the word to explain. Returns `null` when there
 * is nothing to explain (no tokens, or only unknown ones).
 */
export function explainedInput(model: LstmLanguageModel, vocabulary: Vocabulary, tokens: readonly string[]): ExplainedInput | null {
  const { ids, unknown } = vocabulary.encode(tokens);
  if (ids.every((id) => id === UNK)) return null;
  const { context, withStart, truncated } = contextWindow(ids, model.hyperparameters.contextLength);
  const readTokens = tokens.slice(tokens.length - (withStart ? context.length - 1 : context.length));
  const positions: ContextPosition[] = context.map((id, index) => {
    const start = withStart && index === 0;
    return { token: start ? vocabulary.tokenOf(BOS) : (readTokens[withStart ? index - 1 : index] as string), id, start, unknown: id === UNK };
  });
  const [top] = topWords(vocabulary, model.nextDistribution(context), 1);
  if (top === undefined) return null;
  return {
    tokens: [...tokens],
    positions,
    truncated,
    unknown,
    targetId: vocabulary.idOf(top.word),
    targetProbability: top.probability,
  };
}

/** The ids of an input's context. */
export function contextIds(input: Pick<ExplainedInput, 'positions'>): number[] {
  return input.positions.map((position) => position.id);
}
