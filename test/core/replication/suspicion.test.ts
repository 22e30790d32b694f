import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../core/env';
import { Suspicion } from '../../../core/replication/suspicion';

/** A clock an operator can step: only nowMicros matters to Suspicion. */
function steppableClock(startMicros: number): Clock & { nowValue: number } {
  return {
    nowValue: startMicros,
    nowMicros() {
      return this.nowValue;
    },
    setTimer: () => {
      throw new Error('not used');
    },
    cancelTimer: () => undefined,
  } as unknown as Clock & { nowValue: number };
}

describe('Suspicion', () => {
  it('suspects for the configured time, and hearing from the node clears it', () => {
    const clock = steppableClock(1_000_000);
    const suspicion = new Suspicion(clock, 2_000_000);
    suspicion.suspect('n1');
    clock.nowValue += 1_999_999;
    expect(suspicion.isSuspected('n1')).toBe(true);
    expect(suspicion.suspected()).toEqual(['n1']);
    clock.nowValue += 1;
    expect(suspicion.isSuspected('n1')).toBe(false);
    suspicion.suspect('n2');
    suspicion.heardFrom('n2');
    expect(suspicion.isSuspected('n2')).toBe(false);
  });

  it('a clock stepped back ends a suspicion instead of stretching it by the step (found by a review)', () => {
    const clock = steppableClock(3_600_000_000 + 5_000_000);
    const suspicion = new Suspicion(clock, 2_000_000);
    suspicion.suspect('n0');
    clock.nowValue -= 3_600_000_000; // an hour back
    expect(suspicion.isSuspected('n0')).toBe(false);
    // Suspected again after the step, it lasts its two seconds on the new reading.
    suspicion.suspect('n0');
    clock.nowValue += 1_000_000;
    expect(suspicion.isSuspected('n0')).toBe(true);
  });
});
