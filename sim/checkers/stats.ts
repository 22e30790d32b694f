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

/**
 * A duration for a summary line, in the unit a person reads it in: `850 µs`, `12.5 ms`, `29.5 s` (at most four
 * significant figures; the unit is chosen after rounding, so 999 999 µs reads `1 s`, not `1000 ms`). Figures in
 * result.json stay in µs; only the prose says "29.5 s" instead of "29500000 µs".
 */
export function formatDuration(micros: number): string {
  if (!Number.isFinite(micros) || Math.abs(micros) < 1_000) return `${Number.isFinite(micros) ? Math.round(micros) : micros} µs`;
  const ms = fourFigures(micros / 1_000);
  if (Math.abs(ms) < 1_000) return `${ms} ms`;
  return `${fourFigures(micros / 1_000_000)} s`;
}

/**
 * Two durations a sentence compares ("converged after A, beyond the B threshold"): as formatDuration, unless
 * rounding would make different values read the same — then both in exact µs.
 */
export function formatDurationPair(a: number, b: number): [string, string] {
  const [textA, textB] = [formatDuration(a), formatDuration(b)];
  return textA === textB && a !== b ? [`${a} µs`, `${b} µs`] : [textA, textB];
}

function fourFigures(value: number): number {
  return Number(value.toPrecision(4));
}
