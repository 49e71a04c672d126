/**
 * Adam's update as a SIMD kernel, in place on the wasm backend's memory: four values per step,
 * then the last count % 4 in scalar code.
 */
import { overFloats, type Lanes } from './simd-lanes.ts';
import { FunctionBuilder, op, type Code, type FunctionDefinition, type Local } from './wasm-assembler.ts';

/**
 * One Adam step over `count` values (PyTorch's form): with g = grad * gradientScale,
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, and
 * out = param - stepSize * m / (sqrt(v) / rootSecondCorrection + epsilon). `m` and `v` are
 * updated in place; pointers are byte offsets.
 */
export type AdamKernel = (
  param: number,
  grad: number,
  m: number,
  v: number,
  out: number,
  count: number,
  gradientScale: number,
  stepSize: number,
  rootSecondCorrection: number,
) => void;

/** Adam's decay rates and the term that keeps its denominator positive. */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** {@link AdamKernel}: four values per step, then the last count % 4 in scalar code. */
export function adamKernel(): FunctionDefinition {
  const f = new FunctionBuilder('adam', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32']);
  const [param, grad, m, v, out, count, gradientScale, stepSize, rootSecondCorrection] = f.params as Local[] as [
    Local, Local, Local, Local, Local, Local, Local, Local, Local,
  ];
  const offset = f.local('i32');
  const at = (base: Local): Code => op.add(op.get(base), op.get(offset));
  /** One Adam update of the lanes at `offset`, in locals of the lanes' type. */
  const step = (lanes: Lanes, type: 'v128' | 'f32'): Code => {
    const [g, first, second] = [f.local(type), f.local(type), f.local(type)];
    const constant = (value: number): Code => lanes.broadcast(op.f32(value));
    return [
      ...op.set(g, lanes.mul(lanes.load(at(grad)), lanes.broadcast(op.get(gradientScale)))),
      ...op.set(first, lanes.add(lanes.mul(constant(ADAM.beta1), lanes.load(at(m))), lanes.mul(constant(1 - ADAM.beta1), op.get(g)))),
      ...op.set(second, lanes.add(lanes.mul(constant(ADAM.beta2), lanes.load(at(v))), lanes.mul(constant(1 - ADAM.beta2), lanes.mul(op.get(g), op.get(g))))),
      ...lanes.store(at(m), op.get(first)),
      ...lanes.store(at(v), op.get(second)),
      ...lanes.store(
        at(out),
        lanes.sub(
          lanes.load(at(param)),
          lanes.div(
            lanes.mul(lanes.broadcast(op.get(stepSize)), op.get(first)),
            lanes.add(lanes.div(lanes.sqrt(op.get(second)), lanes.broadcast(op.get(rootSecondCorrection))), constant(ADAM.epsilon)),
          ),
        ),
      ),
    ];
  };
  return { builder: f, body: overFloats(f, offset, op.get(count), step) };
}
