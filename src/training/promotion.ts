/**
 * Whether a newly trained model replaces the serving one: both are scored on the same held-out
 * sentences, and a clearly worse new model is kept as a version but not promoted.
 *
 * @module
 */
import type { NextTokenPredictor } from '../lm/evaluate.ts';
import { EOS } from '../lm/special-tokens.ts';
import type { Vocabulary } from '../lm/vocabulary.ts';

/** A new model may be up to this much worse (relative validation loss) and still be promoted. */
export const PROMOTION_TOLERANCE = 0.05;

/** A model as the comparison sees it: its vocabulary and its per-position distributions. */
export interface ScoredModel {
  vocabulary: Vocabulary;
  predictor: NextTokenPredictor;
}

/** Mean loss of each model over the same targets. */
export interface SharedTargetLosses {
  /** Mean negative log probability per target, one per model, in the order given. */
  losses: number[];
  /** Targets scored (the same for every model). */
  targets: number;
}

/** Probability floor so that a zero probability costs a large but finite loss. */
const MIN_PROBABILITY = 1e-12;

/**
 * Scores models on the same sentences: every word that each model's vocabulary knows, plus
 * every end of sentence, is a target. Words unknown to any of them are left out for all of them,
 * since predicting "unknown word" is easier the more words a vocabulary lumps together; a
 * model with a larger vocabulary would otherwise look worse for knowing more. Contexts are read
 * with each model's own vocabulary.
 */
export function sharedTargetLosses(models: readonly ScoredModel[], sentences: readonly string[][]): SharedTargetLosses {
  const totals = models.map(() => 0);
  let targets = 0;
  for (const tokens of sentences) {
    const scored = tokens.map((token) => models.every(({ vocabulary }) => vocabulary.has(token)));
    scored.push(true); // the end of the sentence
    targets += scored.filter(Boolean).length;
    models.forEach(({ vocabulary, predictor }, m) => {
      const ids = vocabulary.encode(tokens).ids;
      const wanted = [...ids, EOS];
      const distributions = predictor.sentenceDistributions(ids);
      if (distributions.length !== wanted.length) {
        throw new Error(`a predictor gave ${distributions.length} distributions for ${wanted.length} targets`);
      }
      wanted.forEach((id, position) => {
        if (!scored[position]) return;
        const probability = distributions[position]![id] ?? 0;
        totals[m]! -= Math.log(Math.max(probability, MIN_PROBABILITY));
      });
    });
  }
  return { losses: totals.map((total) => (targets === 0 ? Number.NaN : total / targets)), targets };
}

/** The outcome of {@link decidePromotion}. */
export interface PromotionDecision {
  promote: boolean;
  /** Why, for the run summary and `/stats`. */
  note: string;
}

/**
 * Promotes unless the new model's loss exceeds the serving model's by more than
 * {@link PROMOTION_TOLERANCE} (relative), or is not a number.
 */
export function decidePromotion(comparison: { newLoss: number; servingLoss: number; sentences: number }): PromotionDecision {
  const { newLoss, servingLoss, sentences } = comparison;
  const figures = `validation loss ${newLoss.toFixed(4)} against ${servingLoss.toFixed(4)} for the serving model on the same ${sentences} sentences`;
  if (!Number.isFinite(newLoss) || newLoss > servingLoss * (1 + PROMOTION_TOLERANCE)) {
    return { promote: false, note: `not promoted: ${figures} (more than ${PROMOTION_TOLERANCE * 100}% worse)` };
  }
  return { promote: true, note: `promoted: ${figures}` };
}
