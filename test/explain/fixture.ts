/**
 * A tiny trained model for the explanation tests: the last word of the long sentences depends on
 * the second word only (cat -> purrs, dog -> barks), five words earlier, so a model that predicts
 * it must carry that word through its state; a fixed two-word window cannot.
 */
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import type { LstmLanguageModel } from '../../src/lm/model.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';

/** The fixture corpus, tokenized. `bird` and `sings` occur once: rare words. */
export const corpusSentences: string[][] = [
  'the cat we met near the river purrs',
  'the dog we met near the river barks',
  'the cat we met near the river purrs',
  'the dog we met near the river barks',
  'the cat sleeps',
  'the dog runs',
  'we met near the river',
  'a bird sings',
].map((sentence) => sentence.split(' '));

/** A trained model and its vocabulary. */
export interface TrainedFixture {
  model: LstmLanguageModel;
  vocabulary: Vocabulary;
}

/** Trains the fixture model (fixed seed, about a second). */
export async function trainFixture(): Promise<TrainedFixture> {
  const vocabulary = Vocabulary.build(corpusSentences, { minCount: 1, maxSize: 100 });
  const ids = corpusSentences.map((sentence) => vocabulary.encode(sentence).ids);
  const tokens = ids.reduce((sum, sentence) => sum + sentence.length, 0);
  const hyperparameters = defaultHyperparameters({ sentences: ids.length, tokens, vocabularySize: vocabulary.size }, { seed: 11 });
  const { model } = await trainLanguageModel({ train: ids, validation: [] }, vocabulary.size, hyperparameters);
  return { model, vocabulary };
}
