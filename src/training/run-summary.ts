/**
 * The `summary` JSON recorded on a run that saved a model, and its checked reader.
 *
 * @module
 */
import { JsonFields } from '../json-fields.ts';
import type { TrainingRun } from '../store/types.ts';
import type { EpochSummary, RunResult, TrainingMode } from './types.ts';

/** The `summary` JSON recorded on a finished run. */
export interface RunSummary {
  modelVersion: number;
  promoted: boolean;
  note: string;
  mode: TrainingMode;
  modeReason: string;
  sentences: number;
  vocabularySize: number;
  epochs: number;
  stoppedEarly: boolean;
  finalLoss: number;
  validationLoss?: number;
  validationAccuracy?: number;
  seconds: number;
  backend: string;
}

/**
 * A run's stored summary, read back (every stored summary has had all of these fields).
 *
 * @throws StoredJsonError when a field is missing or of the wrong type
 */
export function readRunSummary(json: unknown): RunSummary {
  const fields = JsonFields.of(json, 'summary');
  return {
    modelVersion: fields.number('modelVersion'),
    promoted: fields.boolean('promoted'),
    note: fields.string('note'),
    mode: fields.oneOf('mode', ['full', 'incremental']),
    modeReason: fields.string('modeReason'),
    sentences: fields.number('sentences'),
    vocabularySize: fields.number('vocabularySize'),
    epochs: fields.number('epochs'),
    stoppedEarly: fields.boolean('stoppedEarly'),
    finalLoss: fields.number('finalLoss'),
    ...fields.optionalNumbers('validationLoss', 'validationAccuracy'),
    seconds: fields.number('seconds'),
    backend: fields.string('backend'),
  };
}

/**
 * How a finished run ended, from its row, for a process that followed a run another one executed;
 * `history` is the per-epoch record of the model it saved.
 *
 * @throws StoredJsonError when a succeeded run's summary cannot be read
 */
export function finishedRunResult(run: TrainingRun, history: EpochSummary[]): RunResult {
  switch (run.status) {
    case 'succeeded': {
      const summary = readRunSummary(run.summary);
      return {
        status: 'succeeded',
        runId: run.id,
        modelVersion: summary.modelVersion,
        promoted: summary.promoted,
        note: summary.note,
        sentences: summary.sentences,
        vocabularySize: summary.vocabularySize,
        finalLoss: summary.finalLoss,
        ...(summary.validationLoss === undefined ? {} : { validationLoss: summary.validationLoss }),
        ...(summary.validationAccuracy === undefined ? {} : { validationAccuracy: summary.validationAccuracy }),
        seconds: summary.seconds,
        history,
      };
    }
    case 'failed':
      return { status: 'failed', runId: run.id, error: run.error ?? 'unknown error' };
    case 'cancelled':
      return { status: 'cancelled', runId: run.id };
    default:
      throw new Error(`run ${run.id} has not finished (${run.status})`);
  }
}
