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

  it('a sample that judged no key is no evidence of agreement (it made a still-divergent run read as converged at once)', () => {
    // Heal at 10 s; the first samples after it looked at no key (every key still being written), so they read
    // "0 divergent"; the first sample that judged keys found agreement only at 25 s.
    const sampled = [
      { time: 9_500_000, divergentKeys: 7, sampledKeys: 300 },
      { time: 10_500_000, divergentKeys: 0, sampledKeys: 0 },
      { time: 11_000_000, divergentKeys: 0, sampledKeys: 0 },
      { time: 25_000_000, divergentKeys: 0, sampledKeys: 200 },
    ];
    const slow = checkConvergence(sampled, { healTime: 10_000_000, thresholdMicros: 5_000_000 });
    expect(slow.verdict).toBe('unknown'); // was 'ok — converged 500 ms after heal'
    expect(slow.summary).toMatch(/replicas agreed by 15 s after heal, but no sample between the heal and then judged a key: cannot tell against the 5 s threshold/);
    expect(slow.figures.samplesWithoutKeys).toBe(2);
    // Keys written until the load stopped at 21 s could not be judged before: agreement is timed from then.
    const afterLoad = checkConvergence(sampled, { healTime: 10_000_000, thresholdMicros: 5_000_000, loadStopTime: 21_000_000 });
    expect(afterLoad.verdict).toBe('ok');
    expect(afterLoad.summary).toMatch(/^replicas agreed by 4 s after the load stopped \(threshold 5 s\); no sample judged a key between the heal and then/);
    expect(afterLoad.figures.afterLoadStopMicros).toBe(4_000_000);
    // A load that stopped long before the gap does not explain it.
    expect(checkConvergence(sampled, { healTime: 10_000_000, thresholdMicros: 5_000_000, loadStopTime: 9_000_000 }).verdict).toBe('unknown');
    // With a sample that judged keys and found divergence beyond the threshold, it is a failure again.
    const judged = [...sampled.slice(0, 3), { time: 16_000_000, divergentKeys: 3, sampledKeys: 300 }, sampled[3]!];
    expect(checkConvergence(judged, { healTime: 10_000_000, thresholdMicros: 5_000_000 }).verdict).toBe('fail');
    // Only empty samples after the heal: nothing to judge by.
    const none = checkConvergence(sampled.slice(0, 3), { healTime: 10_000_000, thresholdMicros: 5_000_000 });
    expect(none.verdict).toBe('unknown');
    expect(none.summary).toMatch(/no replica-state sample at or after the heal \(10000000 µs\) judged any key/);
  });

  it('names the keys the last sample could not judge (an owner down) instead of counting them as agreeing', () => {
    const result = checkConvergence([{ time: 100, divergentKeys: 0, sampledKeys: 90, unjudgedKeys: 10 }], { healTime: 50, thresholdMicros: 100 });
    expect(result.verdict).toBe('ok');
    expect(result.summary).toMatch(/; 10 keys not judged at the last sample \(an owner was down\)$/);
    expect(result.figures.unjudgedAtEnd).toBe(10);
  });

  it('rejects out-of-order samples', () => {
    expect(() => checkConvergence(samples([[100, 0], [50, 0]]), { healTime: 0, thresholdMicros: 10 })).toThrow(/earlier than sample 0/);
  });
});
