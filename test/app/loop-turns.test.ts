import { describe, expect, it } from 'vitest';
import { LoopTurns } from '../../src/app/loop-turns.ts';

/** Holds the thread, as a forward pass does. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('LoopTurns', () => {
  it('runs waiting steps one per turn of the event loop, in order, with timers between them', async () => {
    const turns = new LoopTurns();
    const order: string[] = [];
    const steps = [1, 2, 3].map(async (step) => {
      await turns.next();
      // Due as soon as this step ends: it must not wait for the steps behind it.
      if (step === 1) setTimeout(() => order.push('timer'), 0);
      busyFor(5);
      order.push(`step ${step}`);
    });
    await Promise.all(steps);
    expect(order.filter((entry) => entry.startsWith('step'))).toEqual(['step 1', 'step 2', 'step 3']);
    expect(order.indexOf('timer')).toBe(1);
  });

  it('runs an urgent step before the steps waiting that are not', async () => {
    const turns = new LoopTurns();
    const order: string[] = [];
    const step = async (name: string, urgent: boolean) => {
      await turns.next(urgent);
      order.push(name);
    };
    await Promise.all([step('first', false), step('second', false), step('urgent', true)]);
    expect(order).toEqual(['urgent', 'first', 'second']);
  });
});
