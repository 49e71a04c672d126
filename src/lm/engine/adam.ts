/**
 * Adam (Kingma & Ba, with PyTorch's update form). One pass per weight replaces the dozen
 * whole-tensor ops, and their allocations, of `tf.train.adam`; gradient clipping folds into the
 * same pass as a scale factor. On the wasm backend the pass is a SIMD kernel working in the
 * backend's memory (about ten times faster than the JavaScript loop, which the other backends
 * run), and the moments live there too.
 */
import * as tf from '@tensorflow/tfjs';
import { timePhase } from './phase-profile.ts';
import { ADAM } from './simd-adam.ts';
import { activeSimdKernels } from './simd-kernels.ts';
import { createTensor, readView, replaceVariable } from './tensor-memory.ts';

/** The two moments of one weight: arrays for the JavaScript pass, or one wasm tensor [2, size]. */
type Moments = { first: Float32Array; second: Float32Array } | tf.Tensor;

/** Trainable variables by name, and gradients of the same names and shapes. */
type Variables<K extends string> = Record<K, tf.Variable>;

/** Adam state for one set of named variables (a network's weights); {@link dispose} it after training. */
export class AdamOptimizer {
  private readonly moments = new Map<string, Moments>();
  private steps = 0;

  /** The step size; training lowers it when validation stops improving. */
  constructor(public learningRate: number) {}

  /** One update of every weight with `gradients * gradientScale`. */
  step<K extends string>(weights: Variables<K>, gradients: Record<K, tf.Tensor>, gradientScale = 1): void {
    timePhase('optimizer', () => this.update(weights, gradients, gradientScale));
  }

  /** Releases the moments held in the backend's memory. */
  dispose(): void {
    for (const moments of this.moments.values()) if (moments instanceof tf.Tensor) moments.dispose();
    this.moments.clear();
  }

  private update<K extends string>(weights: Variables<K>, gradients: Record<K, tf.Tensor>, gradientScale: number): void {
    this.steps++;
    const stepSize = this.learningRate / (1 - ADAM.beta1 ** this.steps);
    const rootSecondCorrection = Math.sqrt(1 - ADAM.beta2 ** this.steps);
    const simd = activeSimdKernels();
    for (const key of Object.keys(gradients) as K[]) {
      const variable = weights[key];
      const gradient = gradients[key];
      const size = variable.size;
      let moments = this.moments.get(key);
      if (moments === undefined) {
        moments = simd === undefined ? { first: new Float32Array(size), second: new Float32Array(size) } : createTensor([2, size], (values) => values.fill(0));
        this.moments.set(key, moments);
      }
      if (moments instanceof tf.Tensor) {
        const state = moments;
        const { kernels, address } = simd as NonNullable<typeof simd>;
        const next = createTensor(variable.shape, () => {});
        const m = address(state);
        kernels.adam(address(variable), address(gradient), m, m + 4 * size, address(next), size, gradientScale, stepSize, rootSecondCorrection);
        variable.assign(next);
        next.dispose();
        continue;
      }
      const { first: m, second: v } = moments;
      replaceVariable(variable, (values, next) => {
        // Taken inside the update: on wasm all three are heap views, valid as nothing allocates here.
        const g = readView(gradient);
        for (let i = 0; i < values.length; i++) {
          const gi = (g[i] as number) * gradientScale;
          const mi = ADAM.beta1 * (m[i] as number) + (1 - ADAM.beta1) * gi;
          const vi = ADAM.beta2 * (v[i] as number) + (1 - ADAM.beta2) * gi * gi;
          m[i] = mi;
          v[i] = vi;
          next[i] = (values[i] as number) - (stepSize * mi) / (Math.sqrt(vi) / rootSecondCorrection + ADAM.epsilon);
        }
      });
    }
  }
}
