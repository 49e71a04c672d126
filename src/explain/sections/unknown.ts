/**
 * "Unknown and rare words": which words of the input the model has no vector for or learned from
 * few examples, and what the prediction becomes without them.
 *
 * @module
 */
import type { RareAndUnknownWords } from '../../lm/explain/rare-words.ts';
import type { PredictedWord } from '../../lm/predict.ts';
import { inlineCode } from '../../text/markdown.ts';
import { percent } from '../../text/percent.ts';
import type { ExplainMessages } from '../i18n/index.ts';
import type { Section } from '../pages.ts';

/** What the unknown-words section shows. */
export interface UnknownWordFacts {
  weak: RareAndUnknownWords;
  /** A known word seen fewer times than this counts as rare. */
  rareBelow: number;
  /** Words the model knows, special tokens excluded. */
  vocabularyWords: number;
  /** Corpus tokens outside the vocabulary, and all corpus tokens. */
  corpusUnknown: { unknown: number; total: number };
  /** Occurrences of unknown words in the server's corpus (absent: none). */
  corpusCounts: ReadonlyMap<string, number>;
}

const predictions = (words: readonly PredictedWord[]): string =>
  words.map(({ word, probability }) => `${inlineCode(word)} ${percent(probability)}`).join(', ');

/** The unknown-words section. */
export function unknownSection(m: ExplainMessages, facts: UnknownWordFacts): Section {
  const { weak, rareBelow, corpusUnknown } = facts;
  const share = corpusUnknown.total > 0 ? percent(corpusUnknown.unknown / corpusUnknown.total) : null;
  const blocks = [m.unknown.intro(facts.vocabularyWords, rareBelow)];
  if (weak.words.length === 0) {
    blocks.push(m.unknown.none);
  } else {
    blocks.push(
      weak.words
        .map((word) =>
          word.kind === 'unknown'
            ? `- ${m.unknown.unknownWord(inlineCode(word.token), facts.corpusCounts.get(word.token) ?? 0)}`
            : `- ${m.unknown.rareWord(inlineCode(word.token), word.count)}`,
        )
        .join('\n'),
    );
    if (weak.withThem.length > 0) blocks.push(m.unknown.withThem(predictions(weak.withThem)));
    blocks.push(weak.withoutThem === null ? m.unknown.nothingLeft : m.unknown.withoutThem(predictions(weak.withoutThem)));
  }
  blocks.push([...(share === null ? [] : [m.unknown.corpusShare(share)]), m.unknown.lesson].join('\n'));
  return { title: m.titles.unknown, blocks };
}
