/**
 * Turning sentences of word ids into padded, time-major training batches.
 */
import { BOS, EOS, PAD } from '../special-tokens.ts';
import type { InputBatch } from './lstm-network.ts';

/** One training sequence: inputs and their next-word targets (PAD = no target here). */
export interface Sequence {
  inputs: number[];
  targets: number[];
}

/** A batch with its targets. */
export interface TrainingBatch extends InputBatch {
  /** Positions (t * size + b) that have a target, in increasing order. */
  targetPositions: Int32Array;
  /** The target id at each of `targetPositions`. */
  targetIds: Int32Array;
}

/**
 * Turns a sentence (word ids without BOS/EOS) into sequences of at most `contextLength` steps.
 *
 * The model reads `[BOS, w1..wn]` and predicts `[w1..wn, EOS]`. A longer sentence is cut into
 * windows of `contextLength` steps; each window after the first starts `contextLength / 2` steps
 * (rounded down) before the previous window ended and uses those steps as context only (their
 * targets are PAD), so every word is a target exactly once and, apart from the first window, is
 * predicted with at least half a window of preceding context.
 */
export function sentenceToSequences(sentence: readonly number[], contextLength: number): Sequence[] {
  if (contextLength < 2) throw new RangeError('contextLength must be at least 2');
  const inputs = [BOS, ...sentence];
  const targets = [...sentence, EOS];
  if (inputs.length <= contextLength) return [{ inputs, targets }];
  const overlap = Math.floor(contextLength / 2);
  const sequences: Sequence[] = [];
  let covered = 0; // targets before this index are already in a window
  while (covered < inputs.length) {
    const start = covered === 0 ? 0 : covered - overlap;
    const end = Math.min(start + contextLength, inputs.length);
    sequences.push({
      inputs: inputs.slice(start, end),
      targets: targets.slice(start, end).map((id, k) => (start + k < covered ? PAD : id)),
    });
    covered = end;
  }
  return sequences;
}

/** Pads sequences to the longest one and lays them out time-major. */
export function makeBatch(sequences: readonly Sequence[]): TrainingBatch {
  const batch = contextsToBatch(sequences.map((s) => s.inputs));
  const positions: number[] = [];
  const ids: number[] = [];
  for (let t = 0; t < batch.steps; t++) {
    sequences.forEach((sequence, b) => {
      const target = sequence.targets[t];
      if (target !== undefined && target !== PAD) {
        positions.push(t * batch.size + b);
        ids.push(target);
      }
    });
  }
  return { ...batch, targetPositions: Int32Array.from(positions), targetIds: Int32Array.from(ids) };
}

/** Right-pads id sequences into a time-major input batch. */
export function contextsToBatch(contexts: readonly (readonly number[])[]): InputBatch {
  const size = contexts.length;
  const steps = Math.max(...contexts.map((c) => c.length));
  const inputs = new Int32Array(steps * size).fill(PAD);
  contexts.forEach((context, b) => context.forEach((id, t) => (inputs[t * size + b] = id)));
  return { steps, size, inputs };
}
