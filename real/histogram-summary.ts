import type { RecordableHistogram, IntervalHistogram } from 'node:perf_hooks';

/**
 * Percentiles of a perf_hooks histogram in milliseconds, 0 when it holds nothing yet. `toMs` converts one
 * recorded value (the histograms here record µs or ns, and the loop-delay one counts its own interval).
 */
export function histogramMs(
  histogram: RecordableHistogram | IntervalHistogram,
  toMs: (value: number) => number,
): { p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number } {
  if (histogram.count === 0) return { p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    p50Ms: toMs(histogram.percentile(50)),
    p99Ms: toMs(histogram.percentile(99)),
    p999Ms: toMs(histogram.percentile(99.9)),
    maxMs: toMs(histogram.max),
  };
}
