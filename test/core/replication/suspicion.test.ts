import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../core/env';
import { Suspicion } from '../../../core/replication/suspicion';

/** A clock an operator can step: only nowMicros matters to Suspicion. */
function steppableClock(startMicros: number): { clock: Clock; step: (micros: number) => void } {
  let now = startMicros;
  const clock: Clock = {
    nowMicros: () => now,
    setTimer: () => {
      throw new Error('not used');
    },
    cancelTimer: () => undefined,
  };
  return { clock, step: (micros) => (now += micros) };
}

describe('Suspicion', () => {
  it('suspects for the configured time, and hearing from the node clears it', () => {
    const { clock, step } = steppableClock(1_000_000);
    const suspicion = new Suspicion(clock, 2_000_000);
    suspicion.suspect('n1');
    step(1_999_999);
    expect(suspicion.isSuspected('n1')).toBe(true);
    expect(suspicion.suspected()).toEqual(['n1']);
    step(1);
    expect(suspicion.isSuspected('n1')).toBe(false);
    suspicion.suspect('n2');
    suspicion.heardFrom('n2');
    expect(suspicion.isSuspected('n2')).toBe(false);
  });

  it('a clock stepped back ends a suspicion instead of stretching it by the step (found by a review)', () => {
    const { clock, step } = steppableClock(3_600_000_000 + 5_000_000);
    const suspicion = new Suspicion(clock, 2_000_000);
    suspicion.suspect('n0');
    step(-3_600_000_000); // an hour back
    expect(suspicion.isSuspected('n0')).toBe(false);
    // Suspected again after the step, it lasts its two seconds on the new reading.
    suspicion.suspect('n0');
    step(1_000_000);
    expect(suspicion.isSuspected('n0')).toBe(true);
  });

  it('has two grades: slow (a fraction of a timeout) and silent (a whole one); only the latter is isSilent', () => {
    const { clock, step } = steppableClock(1_000_000);
    const suspicion = new Suspicion(clock, 2_000_000);
    suspicion.suspectSlow('n1');
    expect(suspicion.isSuspected('n1')).toBe(true);
    expect(suspicion.isSilent('n1')).toBe(false);
    suspicion.suspect('n1');
    expect(suspicion.isSilent('n1')).toBe(true);
    suspicion.suspectSlow('n1'); // does not lower the grade while the suspicion lasts
    expect(suspicion.isSilent('n1')).toBe(true);
    step(2_000_000); // ended
    expect(suspicion.isSuspected('n1')).toBe(false);
    suspicion.suspectSlow('n1'); // a new suspicion starts at its own grade
    expect(suspicion.isSilent('n1')).toBe(false);
    suspicion.heardFrom('n1');
    expect(suspicion.isSuspected('n1')).toBe(false);
  });
});
