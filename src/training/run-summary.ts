/**
 * The `summary` JSON recorded on a run that saved a model.
 *
 * @module
 */
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
