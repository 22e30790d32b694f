import { describe, expect, it } from 'vitest';
import { percentileOfSorted } from '../../sim/checkers/stats';
import { LogHistogram } from '../../sim/log-histogram';

describe('LogHistogram (sync latencies in constant memory)', () => {
  it('gives every percentile within 1 % of the exact one, merges, and refuses what it cannot count', () => {
    const values = Array.from({ length: 5000 }, (_, i) => 150 + ((i * 7919) % 9973) * 3.7);
    const histogram = new LogHistogram();
    for (const value of values) histogram.record(value);
    const sorted = Float64Array.from(values).sort();
    for (const p of [1, 50, 90, 99, 99.9, 100]) {
      const exact = percentileOfSorted(sorted, p);
      expect(Math.abs(histogram.percentile(p) - exact) / exact, `p${p}`).toBeLessThan(0.01);
    }
    const other = new LogHistogram();
    other.record(0);
    other.record(1e9);
    histogram.merge(other);
    expect(histogram.count).toBe(5002);
    expect(histogram.percentile(0.01)).toBeLessThan(1);
    expect(histogram.percentile(100) / 1e9).toBeCloseTo(1, 2);
    expect(new LogHistogram().percentile(99)).toBe(0);
    expect(() => histogram.record(-1)).toThrow(/finite values ≥ 0/);
    expect(() => histogram.record(Number.NaN)).toThrow(/finite values ≥ 0/);
  });
});
