/**
 * Stochastic weight averaging (Izmailov et al. 2018): the mean of weight snapshots taken along the
 * end of training, which often validates better than any single epoch's weights.
 *
 * @module
 */
import type { WeightValues } from './engine/network-weights.ts';

/** Snapshots an epoch adds to the weight average (see `Hyperparameters.weightAveragingStart`). */
export const AVERAGED_SNAPSHOTS_PER_EPOCH = 4;

/** A running mean of weight snapshots (stochastic weight averaging, Izmailov et al. 2018). */
export class WeightAverage {
  #sums: Record<string, Float64Array> = {};
  count = 0;

  add(values: WeightValues): void {
    for (const [key, array] of Object.entries(values)) {
      const sum = (this.#sums[key] ??= new Float64Array(array.length));
      for (let i = 0; i < array.length; i++) sum[i]! += array[i]!;
    }
    this.count += 1;
  }

  mean(): WeightValues {
    return Object.fromEntries(Object.entries(this.#sums).map(([key, sum]) => [key, Float32Array.from(sum, (value) => value / this.count)])) as WeightValues;
  }
}
