import { describe, expect, it } from 'vitest';
import { formatDuration, formatDurationPair } from '../../../sim/checkers/stats';

describe('formatDuration: summary lines in the unit people read', () => {
  it('picks µs, ms or s by magnitude after rounding, at most four significant figures', () => {
    expect(formatDuration(0)).toBe('0 µs');
    expect(formatDuration(850)).toBe('850 µs');
    expect(formatDuration(1_000)).toBe('1 ms');
    expect(formatDuration(12_500)).toBe('12.5 ms');
    expect(formatDuration(999_400)).toBe('999.4 ms');
    expect(formatDuration(999_999)).toBe('1 s');
    expect(formatDuration(29_500_000)).toBe('29.5 s');
    expect(formatDuration(59_166_755)).toBe('59.17 s');
    expect(formatDuration(-2_000)).toBe('-2 ms');
    expect(formatDuration(Number.NaN)).toBe('NaN µs');
  });

  it('never lets two different durations in one sentence read the same', () => {
    expect(formatDurationPair(9_500_000, 10_000_000)).toEqual(['9.5 s', '10 s']);
    expect(formatDurationPair(10_000_400, 10_000_000)).toEqual(['10000400 µs', '10000000 µs']);
    expect(formatDurationPair(10_000_000, 10_000_000)).toEqual(['10 s', '10 s']);
  });
});
