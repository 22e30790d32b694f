import { describe, expect, it } from 'vitest';
import { SimClock } from '../../sim/clock';
import { SimHost } from '../../sim/host';
import { EventTag, Simulator } from '../../sim/simulator';

describe('simulated clocks', () => {
  it('apply skew and drift, and stay continuous when drift changes', () => {
    const simulator = new Simulator(1);
    const host = new SimHost('n0', 0);
    const clock = new SimClock(simulator, host, { offsetMicros: 50_000, driftPpm: 1000 });
    expect(clock.nowMicros()).toBe(50_000);
    simulator.run({ untilMicros: 1_000_000 });
    expect(clock.nowMicros()).toBe(50_000 + 1_001_000);
    clock.setDriftPpm(-1000);
    expect(clock.nowMicros()).toBe(1_051_000);
    simulator.run({ untilMicros: 2_000_000 });
    expect(clock.nowMicros()).toBe(1_051_000 + 999_000);
    clock.jump(-2_000_000);
    expect(clock.nowMicros()).toBe(50_000);
    clock.setOffset(0);
    expect(clock.nowMicros()).toBe(2_000_000);
  });

  it('fires timers in local time and never after a crash', () => {
    const simulator = new Simulator(1);
    const host = new SimHost('n0', 0);
    const fast = new SimClock(simulator, host, { driftPpm: 100_000 }); // 10 % fast
    const fired: number[] = [];
    fast.setTimer(1_100_000, () => fired.push(simulator.nowMicros));
    const cancelled = fast.setTimer(10, () => fired.push(-1));
    fast.cancelTimer(cancelled);
    simulator.run();
    expect(fired).toEqual([1_000_000]);

    const victim = new SimHost('n1', 1);
    const clock = new SimClock(simulator, victim);
    let ran = false;
    clock.setTimer(1000, () => (ran = true));
    simulator.schedule(10, EventTag.Fault, () => victim.crash());
    simulator.run();
    expect(ran).toBe(false);
  });
});
