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

  it('maps a past local reading back to true time through skew, drift and steps (for figures)', () => {
    const simulator = new Simulator(1);
    const clock = new SimClock(simulator, new SimHost('n0', 0), { offsetMicros: -25_000 });
    const readings: [local: number, truth: number][] = [];
    const read = () => readings.push([clock.nowMicros(), simulator.nowMicros]);
    read(); // at 0: local −25 ms, the reading a skewed node stamps a join with
    simulator.schedule(1_000_000, EventTag.Control, () => { read(); clock.setDriftPpm(1000); });
    simulator.schedule(2_000_000, EventTag.Control, () => { clock.jump(-500_000); read(); });
    simulator.schedule(3_000_000, EventTag.Control, () => { read(); clock.jump(5_000_000); read(); });
    simulator.schedule(4_000_000, EventTag.Control, read);
    simulator.run();
    for (const [local, truth] of readings) expect(Math.abs(clock.trueMicrosAt(local) - truth), `local ${local}`).toBeLessThanOrEqual(1);
    // The step back at true 2 s (local ~1.976 s → ~1.476 s) shows local 1.7 s twice; the later reading wins.
    expect(clock.trueMicrosAt(1_700_000)).toBeGreaterThan(2_000_000);
    expect(clock.trueMicrosAt(1_400_000)).toBeLessThan(2_000_000);
  });
});
