import { describe, expect, it } from 'vitest';
import { splitForValidation } from '../../src/training/data.ts';
import { affordableEpochs, epochBudgetMs, planRun, targetCount, type RunPlan, type ServingModelSummary } from '../../src/training/plan.ts';

/** Six-word sentences over 150 words: a vocabulary the defaults give a 64-wide LSTM. */
function sentences(from: number, to: number): string[][] {
  const corpus: string[][] = [];
  for (let i = from; i < to; i++) corpus.push(Array.from({ length: 6 }, (_, j) => `w${(i * 37 + j * 11) % 150}`));
  return corpus;
}

const OLD = sentences(0, 300);
const NEW = sentences(300, 320);
const settings = { budgetMinutes: 1 };

/** The serving model a full run on `OLD` would have made, trained at `targetsPerSecond`. */
function servingOf(plan: RunPlan, targetsPerSecond: number[]): ServingModelSummary {
  return {
    corpusRevision: OLD.length,
    corpusSentences: OLD.length,
    epochTargetsPerSecond: targetsPerSecond,
    loaded: { vocabulary: plan.vocabulary, hyperparameters: plan.hyperparameters },
    searchedFrom: plan.defaults,
  };
}

describe('planRun', () => {
  const first = planRun('full', { revision: OLD.length, sentences: OLD }, undefined, settings);
  const grown = { revision: OLD.length + NEW.length, sentences: [...OLD, ...NEW] };

  it('trains a requested full run from scratch on the hash split, within the full budget', () => {
    expect(first).toMatchObject({ mode: 'full', modeReason: 'a full retrain was requested', trainingBudgetMs: 29 * 60_000 });
    expect(first.hyperparameters).toMatchObject({ hiddenSize: 64, validationFraction: 0.1 });
    expect({ train: first.train, validation: first.validation }).toEqual(splitForValidation(OLD, 0.1));
    expect(first.vocabulary.size).toBe(154);
    expect(planRun('full', { revision: 1, sentences: OLD }, undefined, { budgetMinutes: 1, fullBudgetMinutes: 10 }).trainingBudgetMs).toBe(9 * 60_000);
  });

  it('searches four variants of the defaults, the defaults first, unless hyperparameters are set', () => {
    expect(first.search.candidates.map((candidate) => candidate.name)).toEqual([
      'defaults',
      'more dropout',
      'twice as wide, more dropout',
      'half the learning rate',
    ]);
    expect(first.search.candidates[0]!.hyperparameters).toEqual(first.defaults);
    expect(first.search.rungs).toEqual([3, 6]);
    const fixed = planRun('full', { revision: OLD.length, sentences: OLD }, undefined, { ...settings, hyperparameters: { hiddenSize: 16 } });
    expect(fixed.search.candidates).toHaveLength(1);
    expect(fixed.hyperparameters.hiddenSize).toBe(16);
  });

  it("keeps the serving model's searched width, regularisation and learning rate in an incremental run", () => {
    const winner = { ...first.defaults, hiddenSize: 128, embeddingSize: 64, dropout: 0.7, learningRate: 0.0025 };
    const serving = { ...servingOf(first, [5000]), loaded: { vocabulary: first.vocabulary, hyperparameters: winner } };
    const plan = planRun('incremental', grown, serving, settings);
    expect(plan.mode).toBe('incremental');
    expect(plan.hyperparameters).toMatchObject({ hiddenSize: 128, embeddingSize: 64, dropout: 0.7 });
    expect(plan.hyperparameters.learningRate).toBeCloseTo(0.00025);
    expect(plan.search.candidates).toHaveLength(1);
    expect(plan.defaults).toEqual(first.defaults);
  });

  it('trains a tiny corpus on every sentence, with no validation', () => {
    const tiny = sentences(0, 3);
    expect(planRun('full', { revision: 3, sentences: tiny }, undefined, settings)).toMatchObject({ train: tiny, validation: [] });
  });

  it('warm-starts from the serving model on the new sentences and a replayed sample of older ones', () => {
    const plan = planRun('incremental', grown, servingOf(first, [5000]), settings);
    const fresh = splitForValidation(NEW, 0.1);
    expect(plan.mode).toBe('incremental');
    expect(plan.modeReason).toBe(`20 new sentences; ${plan.hyperparameters.maxEpochs} epochs at most to fit the 1-minute budget`);
    expect(plan.vocabulary.size).toBe(first.vocabulary.size);
    expect(plan.train).toEqual(expect.arrayContaining(fresh.train));
    // 200 replayed at least, taken from the older sentences' training side only.
    expect(plan.train).toHaveLength(fresh.train.length + 200);
    const oldTraining = new Set(first.train.map((sentence) => sentence.join(' ')));
    expect(plan.train.slice(fresh.train.length).every((sentence) => oldTraining.has(sentence.join(' ')))).toBe(true);
    expect(plan.validation).toEqual([...first.validation, ...fresh.validation]);
    expect(plan.hyperparameters.learningRate).toBeCloseTo(first.hyperparameters.learningRate / 10);
    expect(plan.hyperparameters.weightAveragingStart).toBeUndefined();
    expect(plan.trainingBudgetMs).toBe(48_000);
  });

  it("caps an incremental run's epochs by the serving model's slowest measured epoch", () => {
    const epochs = (targetsPerSecond: number[]): number => planRun('incremental', grown, servingOf(first, targetsPerSecond), settings).hyperparameters.maxEpochs;
    const plan = planRun('incremental', grown, servingOf(first, [5000]), settings);
    const epochTargets = targetCount(plan.train) + targetCount(plan.validation) / 3;
    expect(epochs([1])).toBe(1);
    expect(epochs([epochTargets / 12, 10 * epochTargets])).toBe(4);
    // Fast enough for every epoch the corpus's defaults plan.
    expect(epochs([1e9])).toBe(planRun('full', grown, undefined, settings).hyperparameters.maxEpochs);
  });

  it('warm-starts when sentences were removed, leaving them out of its data', () => {
    const removedOld = OLD.slice(1, -1);
    const plan = planRun('incremental', { revision: OLD.length + 2 + NEW.length, sentences: [...removedOld, ...NEW] }, servingOf(first, [5000]), settings);
    expect(plan.mode).toBe('incremental');
    expect(plan.modeReason).toMatch(/^20 new sentences, 2 removed; \d+ epochs at most/);
    const kept = new Set([...removedOld, ...NEW].map((sentence) => sentence.join(' ')));
    expect([...plan.train, ...plan.validation].every((sentence) => kept.has(sentence.join(' ')))).toBe(true);
    expect(plan.train).toEqual(expect.arrayContaining(splitForValidation(NEW, 0.1).train));
    // Only removals: the older sentences are replayed, and nothing is new.
    const onlyRemoved = planRun('incremental', { revision: OLD.length + 2, sentences: removedOld }, servingOf(first, [5000]), settings);
    expect(onlyRemoved).toMatchObject({ mode: 'incremental' });
    expect(onlyRemoved.modeReason).toMatch(/^0 new sentences, 2 removed/);
    expect(onlyRemoved.train).toHaveLength(200);
  });

  it.each([
    ['there is no serving model', undefined, grown, 'there is no serving model to start from'],
    ['the serving model did not load', { ...servingOf(first, []), loaded: { error: 'bad weights' } }, grown, 'the serving model could not be loaded (bad weights)'],
    [
      'the corpus outgrew the defaults the serving model was chosen from',
      { ...servingOf(first, []), searchedFrom: { ...first.defaults, hiddenSize: 32 } },
      grown,
      'the corpus has outgrown the defaults the serving model was chosen from',
    ],
  ])('trains from scratch instead of warm-starting when %s', (_, serving, corpus, reason) => {
    const plan = planRun('incremental', corpus, serving, settings);
    expect(plan).toMatchObject({ mode: 'full', modeReason: reason, trainingBudgetMs: 29 * 60_000 });
    expect(plan.hyperparameters.learningRate).toBe(first.hyperparameters.learningRate);
  });
});

describe('budget', () => {
  it('keeps a fifth of a budget, at most a minute, for comparing and saving', () => {
    expect(epochBudgetMs(1)).toBe(48_000);
    expect(epochBudgetMs(30)).toBe(29 * 60_000);
  });

  it('affords the epochs the slowest valid measurement fits, at least one', () => {
    // 1,100 targets an epoch (1,000 training, 300 validation at a third) at 100/s: 11 s of 48.
    expect(affordableEpochs([200, 100, Number.NaN, 0], 1000, 300, 1)).toBe(4);
    // Nothing measured: 1,000 targets/s.
    expect(affordableEpochs([], 10_000, 0, 1)).toBe(4);
    expect(affordableEpochs([10], 1_000_000, 0, 1)).toBe(1);
  });
});
