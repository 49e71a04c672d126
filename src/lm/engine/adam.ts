/**
 * Adam (Kingma & Ba, with PyTorch's update form). One JavaScript pass per weight replaces the dozen whole-tensor wasm ops, and their allocations, of
 * `tf.train.adam`; gradient clipping folds into the same pass as a scale factor.
 */
import type { NetworkGradients, NetworkWeights } from './lstm-network.ts';
import { timePhase } from './phase-profile.ts';
import { readView, replaceVariable } from './tensor-memory.ts';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/** Adam state for one set of {@link NetworkWeights}. */
export class AdamOptimizer {
  private readonly firstMoment = new Map<keyof NetworkWeights, Float32Array>();
  private readonly secondMoment = new Map<keyof NetworkWeights, Float32Array>();
  private steps = 0;

  /** The step size; training lowers it when validation stops improving. */
  constructor(public learningRate: number) {}

  /** One update of every weight with `gradients * gradientScale`. */
  step(weights: NetworkWeights, gradients: NetworkGradients, gradientScale = 1): void {
    timePhase('optimizer', () => this.update(weights, gradients, gradientScale));
  }

  private update(weights: NetworkWeights, gradients: NetworkGradients, gradientScale: number): void {
    this.steps++;
    const firstCorrection = 1 - BETA1 ** this.steps;
    const secondCorrection = 1 - BETA2 ** this.steps;
    const stepSize = this.learningRate / firstCorrection;
    const rootSecondCorrection = Math.sqrt(secondCorrection);
    for (const key of Object.keys(gradients) as (keyof NetworkWeights)[]) {
      const variable = weights[key];
      const m = this.moment(this.firstMoment, key, variable.size);
      const v = this.moment(this.secondMoment, key, variable.size);
      const gradient = gradients[key];
      replaceVariable(variable, (values, next) => {
        // Taken inside the update: on wasm all three are heap views, valid as nothing allocates here.
        const g = readView(gradient);
        for (let i = 0; i < values.length; i++) {
          const gi = (g[i] as number) * gradientScale;
          const mi = BETA1 * (m[i] as number) + (1 - BETA1) * gi;
          const vi = BETA2 * (v[i] as number) + (1 - BETA2) * gi * gi;
          m[i] = mi;
          v[i] = vi;
          next[i] = (values[i] as number) - (stepSize * mi) / (Math.sqrt(vi) / rootSecondCorrection + EPSILON);
        }
      });
    }
  }

  private moment(moments: Map<keyof NetworkWeights, Float32Array>, key: keyof NetworkWeights, size: number): Float32Array {
    let moment = moments.get(key);
    if (moment === undefined) {
      moment = new Float32Array(size);
      moments.set(key, moment);
    }
    return moment;
  }
}
