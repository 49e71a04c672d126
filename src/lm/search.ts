/**
 * Hyperparameters chosen on the guild's own held-out sentences: a few variants of the
 * corpus-scaled defaults train side by side, the worse half is dropped at each rung (successive
 * halving, Jamieson & Talwalkar 2016), and the last one trains on to the end. The defaults seed
 * the search; they do not decide it. A variant's epochs are not lost when it wins: it carries on
 * from where its rung left it.
 *
 * @module
 */
import {
  CROSS_VALIDATION_FOLDS,
  LARGE_CORPUS_SENTENCES,
  MIN_SENTENCES_FOR_CROSS_VALIDATION,
  UNKNOWN_WORD_RATE,
  type Hyperparameters,
} from './hyperparameters.ts';
import { TrainingSession } from './train.ts';
import type { TrainerResult, TrainingData, TrainingOptions } from './training-types.ts';

/** A variant of the defaults the search tries. */
export interface SearchCandidate {
  /** What sets it apart, e.g. `defaults`, `more dropout`. */
  name: string;
  hyperparameters: Hyperparameters;
}

/** How one candidate fared, for the model's record. */
export interface SearchTrial {
  name: string;
  /** The settings it trained with that differ from the defaults'. */
  changes: Partial<Hyperparameters>;
  epochs: number;
  /** Its best validation loss (nats per target); absent without validation. */
  validationLoss?: number;
  /** `won`; `lost` a cross-validation; or the rung (1-based) after which it was dropped. */
  outcome: 'won' | 'lost' | { droppedAfterRung: number };
}

/** What {@link trainWithSearch} returns: the winner's training, and every trial. */
export interface SearchResult extends TrainerResult {
  winner: SearchCandidate;
  trials: SearchTrial[];
  /** Epochs after which the candidates were compared. */
  rungs: number[];
  /** Folds the candidates were cross-validated on; absent when they compared on the validation split. */
  folds?: number;
}

/** Share of candidates each rung keeps (rounded up): successive halving's η = 2. */
const KEPT_PER_RUNG = 0.5;

/** How much a variant raises the dropout rates, and the highest rate it goes to. */
const MORE_DROPOUT = { step: 0.2, max: 0.7 } as const;

/** The narrowest and widest networks a variant may have. */
const WIDTH_RANGE = { min: 16, max: 320 } as const;

/**
 * Budget epochs from which a large corpus can afford four candidates, and two. Four are compared
 * after `budget / four` epochs (at least one) and again after twice that.
 */
const AFFORDABLE_SEARCH = { four: 12, two: 4 } as const;

/** A search: the candidates in the order they rank on ties (the defaults first) and the rungs. */
export interface SearchPlan {
  candidates: SearchCandidate[];
  rungs: number[];
  /**
   * Folds the candidates are cross-validated on instead (`trainCrossValidated`), for a corpus without a
   * validation split; 0 when they compare on the validation split or there is one candidate.
   */
  folds: number;
}

/** Dropout a cross-validated candidate tries: the rate of corpora with a validation split. */
const CROSS_VALIDATED_DROPOUT = 0.5;

/**
 * The variants of `defaults` a full training run compares, and when. Each changes one thing the
 * defaults decide by corpus size alone, in the direction a corpus unlike the ones they were
 * measured on most often needs: more dropout (text more repetitive or more varied than expected
 * overfits sooner), a network twice as wide with that dropout (a small corpus of rich text, below
 * the width cap) or, at the cap, half as wide with that dropout at half the learning rate, and
 * half the learning rate.
 *
 * A corpus below `LARGE_CORPUS_SENTENCES` trains for as long as validation improves, in epochs of
 * seconds, so all four run and are compared after a sixth of the planned epochs and again after
 * a third. A large corpus trains for the epochs its time budget allows (`defaults.maxEpochs`):
 * the epochs the dropped candidates take come out of the winner's, so it compares four after a
 * twelfth of the budget's epochs and two after a sixth, at least one and two, when the budget has
 * {@link AFFORDABLE_SEARCH}.four epochs (the winner keeps all but four twelfths), two after one
 * epoch from {@link AFFORDABLE_SEARCH}.two epochs (all but one), and does not search below that.
 * Rungs at shares of the budget rather than at the first epochs give a slower-learning candidate a
 * chance where the corpus is large enough for the budget to be in epochs, yet so small that the
 * defaults overfit it in two or three: there every candidate stops early before the first rung,
 * and the comparison is of finished networks.
 *
 * The candidate at the cap changes three things: a corpus that a capped network overfits within a
 * few epochs needs less capacity, more regularisation and smaller steps together (each alone
 * still overfits before it learns; `bench/RESULTS.md`).
 *
 * A corpus without a validation split is cross-validated from `MIN_SENTENCES_FOR_CROSS_VALIDATION`
 * sentences on, over the settings it lacks for want of one: the unknown word, and dropout at half
 * the learning rate (which the epochs chosen by cross-validation make safe to try). Below that,
 * the defaults train alone.
 */
export function planSearch(defaults: Hyperparameters, sentences: number): SearchPlan {
  const only: SearchPlan = { candidates: [{ name: 'defaults', hyperparameters: defaults }], rungs: [], folds: 0 };
  if (defaults.validationFraction === 0) {
    if (sentences < MIN_SENTENCES_FOR_CROSS_VALIDATION) return only;
    const unknownWords = { ...defaults, unknownWordRate: UNKNOWN_WORD_RATE };
    return {
      candidates: [
        ...only.candidates,
        { name: 'unknown words', hyperparameters: unknownWords },
        {
          name: 'dropout and unknown words, half the learning rate',
          hyperparameters: { ...unknownWords, dropout: CROSS_VALIDATED_DROPOUT, learningRate: defaults.learningRate / 2 },
        },
      ],
      rungs: [],
      folds: CROSS_VALIDATION_FOLDS,
    };
  }
  const large = sentences >= LARGE_CORPUS_SENTENCES;
  const budget = defaults.maxEpochs;
  if (large && budget < AFFORDABLE_SEARCH.two) return only;
  const count = large && budget < AFFORDABLE_SEARCH.four ? 2 : 4;
  const firstRung = count === 4 ? Math.max(1, Math.floor(budget / AFFORDABLE_SEARCH.four)) : 1;
  // Two candidates stop at the first rung and one at the second: 4 first rungs' epochs (1 with two candidates).
  const maxEpochs = large ? budget - (count === 4 ? 4 * firstRung : 1) : budget;
  const base = { ...defaults, maxEpochs };
  const raise = (rate: number | undefined): number | undefined =>
    rate === undefined || rate === 0 ? rate : Math.min(MORE_DROPOUT.max, rate + MORE_DROPOUT.step);
  const resized = (factor: number): Hyperparameters => {
    const width = (size: number): number => Math.min(WIDTH_RANGE.max, Math.max(WIDTH_RANGE.min, Math.round(size * factor)));
    return { ...base, embeddingSize: width(base.embeddingSize), hiddenSize: width(base.hiddenSize) };
  };
  // Dropout rates come from the defaults, whatever the width.
  const withMoreDropout = (hyperparameters: Hyperparameters): Hyperparameters => ({
    ...hyperparameters,
    dropout: raise(base.dropout),
    embeddingDropout: raise(base.embeddingDropout),
  });
  const atWidthCap = base.hiddenSize * 2 > WIDTH_RANGE.max;
  const candidates: SearchCandidate[] = [
    { name: 'defaults', hyperparameters: base },
    { name: 'more dropout', hyperparameters: withMoreDropout(base) },
    atWidthCap
      ? { name: 'half as wide, more dropout, half the learning rate', hyperparameters: { ...withMoreDropout(resized(0.5)), learningRate: base.learningRate / 2 } }
      : { name: 'twice as wide, more dropout', hyperparameters: withMoreDropout(resized(2)) },
    { name: 'half the learning rate', hyperparameters: { ...base, learningRate: base.learningRate / 2 } },
  ].slice(0, count);
  if (large) return { candidates, rungs: count === 4 ? [firstRung, 2 * firstRung] : [1], folds: 0 };
  const first = Math.max(2, Math.round(budget / 6));
  return { candidates, rungs: [first, 2 * first], folds: 0 };
}

/**
 * Trains every candidate to the first rung's epochs, keeps the half with the lowest validation
 * loss, trains those to the next rung, and so on; the last one left trains until it is done or
 * `options.deadline` stops it. Candidates compare on the same validation sentences, so the first
 * candidate (the defaults) should come first: ties keep the earlier one. `options.onProgress`
 * follows the candidate in training.
 */
export async function trainWithSearch(
  data: TrainingData,
  vocabSize: number,
  candidates: readonly SearchCandidate[],
  rungs: readonly number[],
  options: TrainingOptions = {},
): Promise<SearchResult> {
  const defaults = candidates[0];
  if (defaults === undefined) throw new RangeError('a search needs at least one candidate');
  const trials = new Map<SearchCandidate, SearchTrial>();
  let alive: { candidate: SearchCandidate; session: TrainingSession }[] = [];
  try {
    for (const candidate of candidates) {
      alive.push({ candidate, session: await TrainingSession.open(data, vocabSize, candidate.hyperparameters, options) });
    }
    for (const [index, rung] of rungs.entries()) {
      if (alive.length === 1) break;
      for (const { session } of alive) {
        while (!session.done && session.history.length < rung && session.canAffordEpoch(options.deadline)) await session.trainEpoch();
      }
      const ranked = [...alive].sort((a, b) => lossOf(a.session) - lossOf(b.session));
      const kept = ranked.slice(0, Math.ceil(ranked.length * KEPT_PER_RUNG));
      for (const dropped of ranked.slice(kept.length)) {
        trials.set(dropped.candidate, trial(dropped.candidate, defaults, dropped.session, { droppedAfterRung: index + 1 }));
        await dropped.session.dispose();
      }
      alive = alive.filter((entry) => kept.includes(entry));
    }
    // More than one left only when there were fewer rungs than halvings: the best one goes on.
    const [winner, ...others] = [...alive].sort((a, b) => lossOf(a.session) - lossOf(b.session));
    for (const other of others) {
      trials.set(other.candidate, trial(other.candidate, defaults, other.session, { droppedAfterRung: rungs.length }));
      await other.session.dispose();
    }
    alive = [winner!];
    const { session, candidate } = winner!;
    while (!session.done && session.canAffordEpoch(options.deadline)) await session.trainEpoch();
    trials.set(candidate, trial(candidate, defaults, session, 'won'));
    const result = session.finish();
    return { ...result, winner: candidate, trials: candidates.map((entry) => trials.get(entry)!), rungs: [...rungs] };
  } finally {
    for (const { session } of alive) await session.dispose();
  }
}

/** A session's best validation loss, infinite before it has one (it then ranks last). */
function lossOf(session: TrainingSession): number {
  return session.bestValidationLoss ?? Number.POSITIVE_INFINITY;
}

function trial(candidate: SearchCandidate, defaults: SearchCandidate, session: TrainingSession, outcome: SearchTrial['outcome']): SearchTrial {
  return {
    name: candidate.name,
    changes: changedSettings(candidate.hyperparameters, defaults.hyperparameters),
    epochs: session.history.length,
    ...(session.bestValidationLoss === undefined ? {} : { validationLoss: session.bestValidationLoss }),
    outcome,
  };
}

/** The settings of `hp` that differ from `defaults`', for a trial's record. */
export function changedSettings(hp: Hyperparameters, defaults: Hyperparameters): Partial<Hyperparameters> {
  return Object.fromEntries(Object.entries(hp).filter(([key, value]) => defaults[key as keyof Hyperparameters] !== value)) as Partial<Hyperparameters>;
}
