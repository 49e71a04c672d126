import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/lm/backend.ts';
import {
  CROSS_VALIDATION_FOLDS,
  defaultHyperparameters,
  LARGE_CORPUS_SENTENCES,
  MIN_SENTENCES_FOR_CROSS_VALIDATION,
  UNKNOWN_WORD_RATE,
  type Hyperparameters,
} from '../../src/lm/hyperparameters.ts';
import { planSearch, trainWithSearch } from '../../src/lm/search.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';

const WORDS = 14;
/** `4 5 6 ...` patterns with a varying middle: something to learn, some of it held out. */
const TRAIN = Array.from({ length: 24 }, (_, i) => [4, 5 + (i % 3), 8 + (i % 4), 12 + (i % 2)]);
const VALIDATION = [[4, 5, 8, 12], [4, 6, 9, 13], [4, 7, 10, 12]];

function small(overrides: Partial<Hyperparameters> = {}): Hyperparameters {
  return { ...defaultHyperparameters({ sentences: 300, tokens: 3000, vocabularySize: WORDS }), embeddingSize: 8, hiddenSize: 8, maxEpochs: 12, ...overrides };
}

describe('planSearch', () => {
  it('compares four variants of the defaults on a small corpus, the defaults first', () => {
    const defaults = defaultHyperparameters({ sentences: 600, tokens: 9000, vocabularySize: 1500 });
    const plan = planSearch(defaults, 600);
    expect(plan.candidates.map((candidate) => candidate.name)).toEqual(['defaults', 'more dropout', 'twice as wide, more dropout', 'half the learning rate']);
    expect(plan.candidates[0]!.hyperparameters).toEqual(defaults);
    const [, moreDropout, wider, slower] = plan.candidates.map((candidate) => candidate.hyperparameters);
    expect(moreDropout!.dropout).toBeCloseTo(defaults.dropout! + 0.2);
    expect(wider).toMatchObject({ hiddenSize: 2 * defaults.hiddenSize, embeddingSize: 2 * defaults.embeddingSize, dropout: moreDropout!.dropout });
    expect(slower!.learningRate).toBe(defaults.learningRate / 2);
    expect(plan.rungs).toEqual([Math.max(2, Math.round(defaults.maxEpochs / 6)), 2 * Math.max(2, Math.round(defaults.maxEpochs / 6))]);
  });

  it('takes the epochs a large corpus loses to the search out of its budget, and does not search a tight one', () => {
    const large = (budgetEpochs: number): Hyperparameters => ({
      ...defaultHyperparameters({ sentences: LARGE_CORPUS_SENTENCES, tokens: 50_000, vocabularySize: 5000 }),
      maxEpochs: budgetEpochs,
    });
    const roomy = planSearch(large(18), LARGE_CORPUS_SENTENCES);
    expect(roomy.candidates.map((candidate) => candidate.name)).toEqual([
      'defaults',
      'more dropout',
      'half as wide, more dropout, half the learning rate',
      'half the learning rate',
    ]);
    expect(roomy.candidates.every((candidate) => candidate.hyperparameters.maxEpochs === 14)).toBe(true);
    expect(roomy.rungs).toEqual([1, 2]);
    const [defaults, moreDropout, smaller] = roomy.candidates.map((candidate) => candidate.hyperparameters);
    expect(smaller).toMatchObject({
      hiddenSize: defaults!.hiddenSize / 2,
      embeddingSize: defaults!.embeddingSize / 2,
      dropout: moreDropout!.dropout,
      embeddingDropout: moreDropout!.embeddingDropout,
      learningRate: defaults!.learningRate / 2,
    });
    const tight = planSearch(large(7), LARGE_CORPUS_SENTENCES);
    expect(tight.candidates.map((candidate) => candidate.name)).toEqual(['defaults', 'more dropout']);
    expect(tight.candidates[0]!.hyperparameters.maxEpochs).toBe(6);
    expect(tight.rungs).toEqual([1]);
    expect(planSearch(large(3), LARGE_CORPUS_SENTENCES).candidates).toHaveLength(1);
  });

  it('compares the candidates of a large corpus after a twelfth and a sixth of a budget of many epochs', () => {
    const roomy = { ...defaultHyperparameters({ sentences: 3000, tokens: 30_000, vocabularySize: 5000 }), maxEpochs: 100 };
    const plan = planSearch(roomy, 3000);
    expect(plan.rungs).toEqual([8, 16]);
    // The two dropped at the first rung and the one at the second took 4 × 8 epochs of the budget.
    expect(plan.candidates.every((candidate) => candidate.hyperparameters.maxEpochs === 68)).toBe(true);
  });

  it('has nothing to compare on without a validation split', () => {
    const tiny = defaultHyperparameters({ sentences: 3, tokens: 9, vocabularySize: 10 });
    expect(planSearch(tiny, 3)).toEqual({ candidates: [{ name: 'defaults', hyperparameters: tiny }], rungs: [], folds: 0 });
  });

  it('cross-validates the unknown word and dropout on a corpus without a validation split', () => {
    const small = defaultHyperparameters({ sentences: MIN_SENTENCES_FOR_CROSS_VALIDATION, tokens: 60, vocabularySize: 40 });
    const plan = planSearch(small, MIN_SENTENCES_FOR_CROSS_VALIDATION);
    expect(plan.folds).toBe(CROSS_VALIDATION_FOLDS);
    expect(plan.rungs).toEqual([]);
    expect(plan.candidates.map(({ name }) => name)).toEqual(['defaults', 'unknown words', 'dropout and unknown words, half the learning rate']);
    expect(plan.candidates[0]!.hyperparameters).toEqual(small);
    expect(plan.candidates[1]!.hyperparameters).toEqual({ ...small, unknownWordRate: UNKNOWN_WORD_RATE });
    expect(plan.candidates[2]!.hyperparameters).toEqual({ ...small, unknownWordRate: UNKNOWN_WORD_RATE, dropout: 0.5, learningRate: small.learningRate / 2 });
  });
});

describe('trainWithSearch', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('drops the candidates that validate worse at each rung, and the winner trains on as if alone', async () => {
    const candidates = [
      { name: 'defaults', hyperparameters: small() },
      { name: 'barely learning', hyperparameters: small({ learningRate: 2e-6 }) },
      { name: 'stalled', hyperparameters: small({ learningRate: 1e-6 }) },
    ];
    const data = { train: TRAIN, validation: VALIDATION };
    const result = await trainWithSearch(data, WORDS, candidates, [2, 4]);
    try {
      expect(result.winner.name).toBe('defaults');
      expect(result.rungs).toEqual([2, 4]);
      expect(result.trials.map((trial) => [trial.name, trial.outcome, trial.epochs])).toEqual([
        ['defaults', 'won', result.history.length],
        ['barely learning', { droppedAfterRung: 2 }, 4],
        ['stalled', { droppedAfterRung: 1 }, 2],
      ]);
      expect(result.trials[1]!.changes).toEqual({ learningRate: 2e-6 });
      expect(result.trials[0]!.validationLoss).toBe(Math.min(...result.history.map((epoch) => epoch.validationLoss!)));
      const alone = await trainLanguageModel(data, WORDS, small());
      try {
        expect(result.history.map((epoch) => epoch.validationLoss)).toEqual(alone.history.map((epoch) => epoch.validationLoss));
        expect(result.model.weightValues()).toEqual(alone.model.weightValues());
      } finally {
        alone.model.dispose();
      }
    } finally {
      result.model.dispose();
    }
  });

  it('trains a single candidate exactly like training without a search', async () => {
    const data = { train: TRAIN, validation: VALIDATION };
    const searched = await trainWithSearch(data, WORDS, [{ name: 'defaults', hyperparameters: small({ maxEpochs: 5 }) }], []);
    const alone = await trainLanguageModel(data, WORDS, small({ maxEpochs: 5 }));
    try {
      expect(searched.trials).toEqual([{ name: 'defaults', changes: {}, epochs: 5, validationLoss: searched.trials[0]!.validationLoss, outcome: 'won' }]);
      expect(searched.model.weightValues()).toEqual(alone.model.weightValues());
    } finally {
      searched.model.dispose();
      alone.model.dispose();
    }
  });
});
