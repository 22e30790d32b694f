import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhiAccrualDetector } from '../../../core/membership/phi-accrual';

describe('phi accrual failure detector', () => {
  it('stays low while heartbeats arrive on time and rises past the threshold when they stop', () => {
    const detector = new PhiAccrualDetector({ threshold: 8, minStdDeviationMicros: 50_000 });
    let now = 0;
    for (let i = 0; i < 50; i++) {
      detector.heartbeat(now);
      now += 1_000_000;
    }
    const last = now - 1_000_000;
    expect(detector.phi(last + 900_000)).toBeLessThan(1);
    expect(detector.isAvailable(last + 1_100_000)).toBe(true);
    expect(detector.isAvailable(last + 3_000_000)).toBe(false);
    expect(detector.phi(last + 3_000_000)).toBeGreaterThan(8);
  });

  it('tolerates more delay on a jittery link than on a steady one', () => {
    const steady = new PhiAccrualDetector({ minStdDeviationMicros: 10_000 });
    const jittery = new PhiAccrualDetector({ minStdDeviationMicros: 10_000 });
    let tSteady = 0;
    let tJittery = 0;
    for (let i = 0; i < 100; i++) {
      steady.heartbeat(tSteady);
      jittery.heartbeat(tJittery);
      tSteady += 1_000_000;
      tJittery += i % 2 === 0 ? 500_000 : 1_500_000;
    }
    const probe = 1_600_000;
    expect(jittery.phi(tJittery - 1_500_000 + probe)).toBeLessThan(steady.phi(tSteady - 1_000_000 + probe));
  });

  it('φ never decreases as time passes without a heartbeat (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1_000, max: 5_000_000 }), { minLength: 1, maxLength: 60 }), fc.array(fc.nat(20_000_000), { minLength: 2, maxLength: 20 }), (gaps, probes) => {
        const detector = new PhiAccrualDetector();
        let now = 0;
        for (const gap of gaps) {
          detector.heartbeat(now);
          now += gap;
        }
        const last = now - gaps[gaps.length - 1]!;
        const sorted = [...probes].sort((a, b) => a - b);
        let previous = -Infinity;
        for (const probe of sorted) {
          const phi = detector.phi(last + probe);
          expect(phi).toBeGreaterThanOrEqual(previous - 1e-9);
          expect(Number.isFinite(phi)).toBe(true);
          previous = phi;
        }
      }),
    );
  });

  it('has no opinion before the first heartbeat and rejects bad options', () => {
    expect(new PhiAccrualDetector().phi(10_000_000)).toBe(0);
    expect(() => new PhiAccrualDetector({ threshold: 0 })).toThrow(/threshold/);
    expect(() => new PhiAccrualDetector({ windowSize: 0 })).toThrow(/windowSize/);
  });
});
