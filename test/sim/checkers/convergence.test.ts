import { describe, expect, it } from 'vitest';
import { checkConvergence } from '../../../sim/checkers/convergence';

const samples = (pairs: [number, number][]) => pairs.map(([time, divergentKeys]) => ({ time, divergentKeys }));

describe('convergence checker', () => {
  it('measures the time from heal until divergence reaches 0 and stays there', () => {
    const result = checkConvergence(samples([[0, 0], [100, 40], [200, 30], [300, 5], [400, 0], [500, 2], [600, 0], [700, 0]]), { healTime: 250, thresholdMicros: 1000 });
    expect(result.verdict).toBe('ok');
    expect(result.figures.convergenceMicros).toBe(350); // the 0 at 400 did not stay: 600 − 250
    expect(result.figures.maxDivergentAfterHeal).toBe(5);
  });

  it('fails on samples that never converge, and on convergence slower than the threshold', () => {
    const never = checkConvergence(samples([[0, 0], [100, 10], [200, 8], [300, 8], [400, 8]]), { healTime: 150, thresholdMicros: 200 });
    expect(never.verdict).toBe('fail');
    expect(never.summary).toMatch(/never converged: 8 keys still divergent at the last sample, 250 µs after heal \(threshold 200 µs\)/);
    expect(never.figures.convergenceMicros).toBeUndefined();
    // The same samples against a threshold the run did not last: they may yet converge in time.
    const early = checkConvergence(samples([[0, 0], [100, 10], [200, 8], [300, 8], [400, 8]]), { healTime: 150, thresholdMicros: 1_000_000 });
    expect(early.verdict).toBe('unknown');
    expect(early.summary).toMatch(/8 keys still divergent when sampling ended, .* after heal: too early to judge against the .* threshold/);
    const slow = checkConvergence(samples([[100, 10], [200, 5], [900, 0]]), { healTime: 100, thresholdMicros: 500 });
    expect(slow.verdict).toBe('fail');
    expect(slow.figures.convergenceMicros).toBe(800);
  });

  it('is unknown without samples after the heal, and 0 when replicas already agreed', () => {
    expect(checkConvergence(samples([[0, 3], [100, 0]]), { healTime: 500, thresholdMicros: 10 }).verdict).toBe('unknown');
    const agreed = checkConvergence(samples([[0, 0], [600, 0]]), { healTime: 500, thresholdMicros: 10 });
    expect(agreed.verdict).toBe('ok');
    expect(agreed.figures.convergenceMicros).toBe(0);
    expect(agreed.summary).toBe('replicas already agreed at the first sample after the heal and stayed so (threshold 10 µs)');
  });

  it('rejects out-of-order samples', () => {
    expect(() => checkConvergence(samples([[100, 0], [50, 0]]), { healTime: 0, thresholdMicros: 10 })).toThrow(/earlier than sample 0/);
  });
});
