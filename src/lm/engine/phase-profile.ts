/**
 * Optional timing of the phases of training steps, to see where the milliseconds of an epoch go
 * (`npm run bench -- --profile`). Off unless a profile is running: a phase then costs one check.
 *
 * Times are exclusive: a phase timed inside another is not counted twice. Every kernel this
 * trainer calls is synchronous on the wasm and cpu backends, so wall time measures them; on
 * tfjs-node, kernels may run ahead of JavaScript and the split between phases blurs.
 */

/** The phases of a training step, in the order a step runs them. */
export const TRAINING_PHASES = [
  'batching',
  'embedding lookup',
  'input projection',
  'recurrent product',
  'gate activations',
  'output projection',
  'softmax',
  'output gradients',
  'gate gradients',
  'recurrent gradient product',
  'LSTM weight gradients',
  'embedding gradient',
  'copies',
  'optimizer',
] as const;

/** One phase of a training step. */
export type TrainingPhase = (typeof TRAINING_PHASES)[number];

/** Milliseconds and calls per phase. */
export type PhaseTimes = Record<TrainingPhase, { ms: number; calls: number }>;

interface Running {
  times: PhaseTimes;
  /** Start of the innermost phase's current slice, and the phases it interrupted. */
  stack: { phase: TrainingPhase; since: number }[];
}

let running: Running | undefined;

/** Starts recording phase times (replacing a profile in progress). */
export function startPhaseProfile(): void {
  const times = Object.fromEntries(TRAINING_PHASES.map((phase) => [phase, { ms: 0, calls: 0 }])) as PhaseTimes;
  running = { times, stack: [] };
}

/** Stops recording and returns the times since {@link startPhaseProfile}. */
export function stopPhaseProfile(): PhaseTimes {
  if (running === undefined) throw new Error('no phase profile is running');
  const { times } = running;
  running = undefined;
  return times;
}

/** Runs `work`, its time counted to `phase` when a profile is running. */
export function timePhase<T>(phase: TrainingPhase, work: () => T): T {
  const profile = running;
  if (profile === undefined) return work();
  const start = performance.now();
  const outer = profile.stack.at(-1);
  if (outer !== undefined) profile.times[outer.phase].ms += start - outer.since;
  profile.stack.push({ phase, since: start });
  try {
    return work();
  } finally {
    const end = performance.now();
    const own = profile.stack.pop() as { phase: TrainingPhase; since: number };
    profile.times[phase].ms += end - own.since;
    profile.times[phase].calls++;
    const resumed = profile.stack.at(-1);
    if (resumed !== undefined) resumed.since = end;
  }
}
