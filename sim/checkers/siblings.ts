import type { HistoryEvent } from '../history';
import { operationsByKey, showValues } from './operations';
import type { CheckerResult } from './result';
import { CounterexampleList } from './result';
import { mean, percentile } from './stats';

/**
 * Sibling counts: how many concurrent versions completed gets returned. Vector clocks keep concurrent writes
 * as siblings for the client to merge; with client-id vector clocks (no dotted version vectors) a busy key
 * under partition grows them without bound — "sibling explosion". This checker measures the distribution
 * (figures `histogram.<count>` = gets that returned that many values, plus mean, p99, max) and fails only if
 * the maximum exceeds `maxSiblings` (unset: measure only, never fail). Mean, p99 and max are over reads that
 * found a value — as Dynamo counts "versions returned" — and not-found reads are counted apart (`notFound`,
 * and `histogram.0`). The final read phase (the checkers' own reads) is left out.
 */
export interface SiblingsOptions {
  /** Largest acceptable sibling count in one read; unset = no limit. */
  maxSiblings?: number;
  maxCounterexamples?: number;
}

export function checkSiblings(history: readonly HistoryEvent[], options: SiblingsOptions = {}): CheckerResult {
  const limit = options.maxSiblings ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0)) throw new Error(`siblings: maxSiblings must be ≥ 0, got ${options.maxSiblings}`);
  const counterexamples = new CounterexampleList(options.maxCounterexamples);
  const counts: number[] = [];
  let notFound = 0;
  const histogram = new Map<number, number>();
  for (const [key, operations] of operationsByKey(history)) {
    for (const read of operations) {
      if (read.f !== 'get' || read.outcome !== 'ok' || read.final) continue; // the final read phase is the checkers' own
      const values = read.readValues as string[];
      histogram.set(values.length, (histogram.get(values.length) ?? 0) + 1);
      if (values.length === 0) {
        notFound++;
        continue;
      }
      counts.push(values.length);
      if (values.length > limit) {
        counterexamples.add(key, [read.invoke.index, read.completion?.index], `get returned ${values.length} siblings (limit ${limit}): ${showValues(values.slice(0, 8))}${values.length > 8 ? ' …' : ''}`);
      }
    }
  }
  const max = counts.reduce((m, c) => Math.max(m, c), 0);
  const figures: Record<string, number> = { reads: counts.length + notFound, readsWithValues: counts.length, notFound, mean: mean(counts), p99: percentile(counts, 99), max };
  for (const size of [...histogram.keys()].sort((a, b) => a - b)) figures[`histogram.${size}`] = histogram.get(size) as number;
  const fail = max > limit;
  return {
    checker: 'siblings',
    verdict: fail ? 'fail' : 'ok',
    summary: fail
      ? `${counterexamples.total} reads returned more than ${limit} siblings (max ${max})`
      : `${counts.length} reads that found a value: mean ${figures.mean?.toFixed(3)} siblings, p99 ${figures.p99}, max ${max}` +
        (notFound > 0 ? ` (${notFound} more found none)` : ''),
    counterexamples: counterexamples.kept,
    figures,
  };
}
