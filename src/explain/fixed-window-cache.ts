/**
 * The Kneser-Ney 3-gram that `/explain` shows beside the LSTM, built from the server's corpus in
 * the serving model's vocabulary. Counting a large corpus takes up to a second, so the model is
 * built once per serving model and kept while that model serves.
 *
 * @module
 */
import { KneserNeyTrigram } from '../lm/kneser-ney.ts';
import type { LstmLanguageModel } from '../lm/model.ts';
import { UNK } from '../lm/special-tokens.ts';
import type { Vocabulary } from '../lm/vocabulary.ts';

/** Builds the 3-gram of a corpus over the ids of `vocabulary`. */
export function trainFixedWindowModel(vocabulary: Vocabulary, sentences: readonly (readonly string[])[]): KneserNeyTrigram {
  // A token spelled like a special token (`<s>`) would encode to its id, which no sentence may hold.
  const encoded = sentences
    .map((sentence) => vocabulary.encode(sentence).ids.map((id) => (vocabulary.isSpecial(id) ? UNK : id)))
    .filter((ids) => ids.length > 0);
  return KneserNeyTrigram.train(encoded, vocabulary.size);
}

/**
 * One 3-gram per serving model. The corpus of the first request for a model is used; sentences
 * taught later join at the next model, as they do for the LSTM. Entries go with their model.
 */
export class FixedWindowCache {
  private readonly models = new WeakMap<LstmLanguageModel, KneserNeyTrigram>();

  /** The 3-gram for `lstm`, built from `sentences` if there is none yet. */
  get(lstm: LstmLanguageModel, vocabulary: Vocabulary, sentences: readonly (readonly string[])[]): KneserNeyTrigram {
    let model = this.models.get(lstm);
    if (model === undefined) {
      model = trainFixedWindowModel(vocabulary, sentences);
      this.models.set(lstm, model);
    }
    return model;
  }
}
