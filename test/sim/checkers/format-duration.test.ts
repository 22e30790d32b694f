import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../sim/checkers/stats';

describe('formatDuration: summary lines in the unit people read', () => {
  it('picks µs, ms or s by magnitude and drops trailing zeros', () => {
    expect(formatDuration(0)).toBe('0 µs');
    expect(formatDuration(850)).toBe('850 µs');
    expect(formatDuration(1_000)).toBe('1 ms');
    expect(formatDuration(12_500)).toBe('12.5 ms');
    expect(formatDuration(999_999)).toBe('1000 ms');
    expect(formatDuration(29_500_000)).toBe('29.5 s');
    expect(formatDuration(59_166_755)).toBe('59.17 s');
    expect(formatDuration(-2_000)).toBe('-2 ms');
  });
});
