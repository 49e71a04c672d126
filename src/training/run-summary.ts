/**
 * The `summary` JSON recorded on a run that saved a model, and its checked reader.
 *
 * @module
 */
import { JsonFields } from '../json-fields.ts';
import type { TrainingMode } from './types.ts';

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
