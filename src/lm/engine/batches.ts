/**
 * Turning sentences of word ids into padded, time-major training batches.
 */
import { BOS, EOS, PAD } from '../special-tokens.ts';
import type { InputBatch } from './lstm-forward.ts';
import { timePhase } from './phase-profile.ts';

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

/** Pads sequences to the longest one and lays them out time-major, longest first. */
export function makeBatch(sequences: readonly Sequence[]): TrainingBatch {
  return timePhase('batching', () => {
    const { rowOf, ...batch } = contextsToBatch(sequences.map((s) => s.inputs));
    const sequenceAt = new Int32Array(sequences.length);
    rowOf.forEach((row, index) => (sequenceAt[row] = index));
    const positions: number[] = [];
    const ids: number[] = [];
    for (let t = 0; t < batch.steps; t++) {
      for (let row = 0; row < (batch.activeRows[t] as number); row++) {
        const target = sequences[sequenceAt[row] as number]?.targets[t];
        if (target !== undefined && target !== PAD) {
          positions.push(t * batch.size + row);
          ids.push(target);
        }
      }
    }
    return { ...batch, targetPositions: Int32Array.from(positions), targetIds: Int32Array.from(ids) };
  });
}

/**
 * Right-pads id sequences into a time-major input batch whose rows are sorted longest first (see
 * `InputBatch.activeRows`); `rowOf[i]` is the row of `contexts[i]`.
 */
export function contextsToBatch(contexts: readonly (readonly number[])[]): InputBatch & { rowOf: Int32Array } {
  const size = contexts.length;
  const order = contexts.map((_, i) => i).sort((a, b) => (contexts[b]?.length ?? 0) - (contexts[a]?.length ?? 0) || a - b);
  const steps = contexts[order[0] as number]?.length ?? 0;
  const inputs = new Int32Array(steps * size).fill(PAD);
  const activeRows = new Int32Array(steps);
  const rowOf = new Int32Array(size);
  order.forEach((index, row) => {
    rowOf[index] = row;
    const context = contexts[index] as readonly number[];
    context.forEach((id, t) => (inputs[t * size + row] = id));
    for (let t = 0; t < context.length; t++) activeRows[t] = (activeRows[t] as number) + 1;
  });
  return { steps, size, inputs, activeRows, rowOf };
}
