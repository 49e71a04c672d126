/**
 * Ids with a fixed meaning in every vocabulary and every model. Real words start at
 * {@link FIRST_WORD_ID}.
 */

/** Padding: fills batches of sentences of unequal length; never a training target. */
export const PAD = 0;
/** A word that is not in the vocabulary. */
export const UNK = 1;
/** Start of sentence: always the first input, so the model can predict the first word. */
export const BOS = 2;
/** End of sentence: the last target of every sentence, so the model learns where sentences stop. */
export const EOS = 3;
/** The id of the first real word. */
export const FIRST_WORD_ID = 4;
