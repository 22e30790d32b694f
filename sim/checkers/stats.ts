/**
 * The few statistics the checkers report. Percentiles use the nearest-rank definition (the smallest sample
 * with at least p % of samples at or below it), so a reported p99 is always a value that actually occurred.
 */

/** Nearest-rank percentile of `samples` (need not be sorted); `p` in (0, 100]. Empty input gives 0. */
export function percentile(samples: readonly number[], p: number): number {
  return percentileOfSorted(sortedSamples(samples), p);
}

/** `samples` sorted ascending, as a Float64Array (its native numeric sort is several times faster than an Array sort with a comparator). */
export function sortedSamples(samples: readonly number[]): Float64Array {
  return Float64Array.from(samples).sort();
}

/** Nearest-rank percentile of samples already sorted ascending (see `sortedSamples`). */
export function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += s;
  return sum / samples.length;
}

/** Rounds a ratio for display in figures (six significant decimals is plenty; keeps JSON readable). */
export function ratio(numerator: number, denominator: number): number {
  if (denominator === 0) return 0;
  return Math.round((numerator / denominator) * 1e6) / 1e6;
}
