import { describe, expect, it } from 'vitest';
import { StoredJsonError } from '../../src/json-fields.ts';
import { keptWeightsOf, readModelMetrics, type ModelMetrics } from '../../src/training/metrics.ts';
import { readRunSummary, type RunSummary } from '../../src/training/run-summary.ts';

/** As stored: through JSON, like the store's columns. */
const stored = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** Metrics as the first training job stored them, before any field was added. */
const FIRST_METRICS = {
  history: [
    { epoch: 1, trainLoss: 3.2, validationLoss: 3.0, validationAccuracy: 0.2, tokensPerSecond: 900, seconds: 2 },
    { epoch: 2, trainLoss: 2.9, validationLoss: 3.1, validationAccuracy: 0.21, tokensPerSecond: 950, seconds: 2 },
  ],
  bestEpoch: 1,
  stoppedEarly: true,
  mode: 'incremental',
  modeReason: '12 new sentences; 2 epochs at most to fit the 5-minute budget',
  trainSentences: 212,
  trainTargets: 1500,
  validationSentences: 30,
  validationTargets: 210,
  comparison: { servingVersion: 3, newLoss: 3.0, servingLoss: 3.05, targets: 200 },
  backend: 'wasm',
  seconds: 9.5,
};

const CURRENT_METRICS: ModelMetrics = {
  history: [
    { epoch: 1, trainLoss: 3.2, validationLoss: 3.0, validationAccuracy: 0.2, tokensPerSecond: 900, learningRate: 0.004, seconds: 2 },
    { epoch: 2, trainLoss: 2.9, validationLoss: 2.8, validationAccuracy: 0.25, tokensPerSecond: 950, learningRate: 0.004, seconds: 2 },
  ],
  bestEpoch: 2,
  weightAverage: { snapshots: 4, validationLoss: 2.7, validationAccuracy: 0.26, kept: true },
  stoppedEarly: false,
  stoppedAtDeadline: true,
  mode: 'full',
  modeReason: 'a full retrain was requested',
  trainSentences: 2000,
  trainTargets: 30_000,
  validationSentences: 200,
  validationTargets: 3000,
  comparison: null,
  servedModel: {
    served: 'mix',
    lstmWeight: 0.4,
    lstmPerplexity: 16.4,
    kneserNeyPerplexity: 15.1,
    mixPerplexity: 13.9,
    targets: 3000,
    geometric: { lstmExponent: 0.6, kneserNeyExponent: 0.7, perplexity: 13.2, linearPerplexity: 13.8, targets: 1500 },
    combination: 'geometric',
    calibration: null,
    frequencyWeights: null,
  },
  backend: 'node',
  seconds: 120,
};

describe('readModelMetrics', () => {
  it('reads back what the training job stores', () => {
    expect(readModelMetrics(stored(CURRENT_METRICS))).toEqual(CURRENT_METRICS);
    const refitted: ModelMetrics = { ...CURRENT_METRICS, weightAverage: { ...CURRENT_METRICS.weightAverage!, kept: false }, refit: { epochs: 2, sentences: 2200, seconds: 31 } };
    expect(readModelMetrics(stored(refitted))).toEqual(refitted);
  });

  it("reads the first models' metrics, stating what the fields added since mean for them", () => {
    const metrics = readModelMetrics(stored(FIRST_METRICS));
    expect(metrics).toEqual({ ...FIRST_METRICS, stoppedAtDeadline: false, servedModel: null });
    expect(metrics.history[0]).not.toHaveProperty('learningRate');
    expect(metrics.comparison).not.toHaveProperty('seconds');
    expect(metrics).not.toHaveProperty('weightAverage');
  });

  it('reads a mixture fitted before the geometric combination as linear, and one fitted before calibration or λ by word frequency as one λ on the network as it is', () => {
    const { geometric, combination, calibration, frequencyWeights, ...linearOnly } = CURRENT_METRICS.servedModel!;
    expect(readModelMetrics(stored({ ...CURRENT_METRICS, servedModel: linearOnly })).servedModel).toEqual({
      ...linearOnly,
      geometric: null,
      combination: 'linear',
      calibration: null,
      frequencyWeights: null,
    });
    const calibrated = { ...linearOnly, geometric, combination: 'linear' as const, calibration: { exponent: 1.1, unknownScale: 1.8 } };
    expect(readModelMetrics(stored({ ...CURRENT_METRICS, servedModel: calibrated })).servedModel).toEqual({ ...calibrated, frequencyWeights: null });
    const byFrequency = { ...calibrated, frequencyWeights: { countBounds: [4, 64], lstmWeights: [0.5, 0.3, 0.9], sentences: 2000 } };
    expect(readModelMetrics(stored({ ...CURRENT_METRICS, servedModel: byFrequency })).servedModel).toEqual(byFrequency);
  });

  it('reads a choice made before the mixture as the whole LSTM or the whole 3-gram', () => {
    const chosen = (served: string) => ({ ...CURRENT_METRICS, servedModel: { served, lstmPerplexity: 16.4, kneserNeyPerplexity: 15.1, targets: 3000 } });
    expect(readModelMetrics(stored(chosen('kneser-ney'))).servedModel).toEqual({
      served: 'kneser-ney',
      lstmWeight: 0,
      lstmPerplexity: 16.4,
      kneserNeyPerplexity: 15.1,
      mixPerplexity: 15.1,
      targets: 3000,
      geometric: null,
      combination: 'linear',
      calibration: null,
      frequencyWeights: null,
    });
    expect(readModelMetrics(stored(chosen('lstm'))).servedModel).toMatchObject({ lstmWeight: 1, mixPerplexity: 16.4 });
  });

  it.each([
    ['not an object', [], 'metrics must be an object, got []'],
    ['without a history', { ...FIRST_METRICS, history: undefined }, 'metrics.history must be an array, got nothing'],
    ['with a text loss', { ...FIRST_METRICS, history: [{ ...FIRST_METRICS.history[0], trainLoss: '3.2' }] }, 'metrics.history[0].trainLoss must be a number, got "3.2"'],
    ['with an unknown mode', { ...FIRST_METRICS, mode: 'partial' }, 'metrics.mode must be one of full, incremental, got "partial"'],
    ['with a served model missing its figures', { ...FIRST_METRICS, servedModel: { served: 'lstm' } }, 'metrics.servedModel.lstmPerplexity must be a number, got nothing'],
    [
      'with a weight by word frequency short of a class',
      { ...CURRENT_METRICS, servedModel: { ...CURRENT_METRICS.servedModel, frequencyWeights: { countBounds: [4, 64], lstmWeights: [0.5, 0.3], sentences: 2000 } } },
      'metrics.servedModel.frequencyWeights must hold ascending count bounds, a weight in [0, 1] for each class and the sentences counted',
    ],
  ])('refuses metrics %s, naming the field', (_, value, message) => {
    expect(() => readModelMetrics(stored(value))).toThrow(new StoredJsonError(message));
  });
});

describe('keptWeightsOf', () => {
  it('names the weight average when the run kept it, else the best epoch, else the last one', () => {
    expect(keptWeightsOf(CURRENT_METRICS)).toEqual({ source: 'average', snapshots: 4, validationLoss: 2.7, validationAccuracy: 0.26 });
    expect(keptWeightsOf(readModelMetrics(stored(FIRST_METRICS)))).toEqual({ source: 'epoch', epoch: 1, validationLoss: 3.0, validationAccuracy: 0.2 });
    expect(keptWeightsOf({ ...CURRENT_METRICS, weightAverage: undefined, bestEpoch: 7 })).toMatchObject({ source: 'epoch', epoch: 2 });
    expect(keptWeightsOf({ ...CURRENT_METRICS, history: [], weightAverage: undefined })).toBeNull();
    expect(keptWeightsOf({ ...CURRENT_METRICS, weightAverage: undefined, refit: { epochs: 2, sentences: 2200, seconds: 31 } })).toEqual({
      source: 'epoch',
      epoch: 2,
      validationLoss: 2.8,
      validationAccuracy: 0.25,
      refitOn: 2200,
    });
  });
});

describe('readRunSummary', () => {
  const summary: RunSummary = {
    modelVersion: 4,
    promoted: false,
    note: 'not promoted: validation loss 3.3000 against 3.0000 for the serving model on the same 30 sentences (more than 5% worse)',
    mode: 'incremental',
    modeReason: '12 new sentences; 2 epochs at most to fit the 5-minute budget',
    sentences: 320,
    vocabularySize: 154,
    epochs: 2,
    stoppedEarly: false,
    finalLoss: 2.9,
    validationLoss: 3.3,
    seconds: 12.5,
    backend: 'wasm',
  };

  it('reads back a stored summary, with or without validation figures', () => {
    expect(readRunSummary(stored(summary))).toEqual(summary);
    const { validationLoss: _, ...withoutValidation } = summary;
    expect(readRunSummary(stored(withoutValidation))).toEqual(withoutValidation);
  });

  it('refuses a summary without its note', () => {
    expect(() => readRunSummary(stored({ ...summary, note: undefined }))).toThrow(new StoredJsonError('summary.note must be a string, got nothing'));
  });
});
