import { describe, expect, it } from 'vitest';
import { checkSiblings } from '../../../sim/checkers/siblings';
import { HistoryBuilder, indexesOf } from './history-builder';

describe('siblings checker', () => {
  it('reports the distribution and passes within the threshold', () => {
    const h = new HistoryBuilder();
    h.get(1, 'k', [], 0, 10);
    h.get(1, 'k', ['a'], 20, 30);
    h.get(1, 'k', ['a', 'b'], 40, 50);
    h.get(1, 'k', ['a'], 60, 70);
    h.get(1, 'k', ['x'], 80, 90, { type: 'info' }); // not completed: not counted
    const result = checkSiblings(h.build(), { maxSiblings: 2 });
    expect(result.verdict).toBe('ok');
    // Mean, p99 and max over the reads that found a value (as Dynamo counts versions returned); not-found apart.
    expect(result.figures).toMatchObject({ reads: 4, readsWithValues: 3, notFound: 1, mean: 4 / 3, p99: 2, max: 2, 'histogram.0': 1, 'histogram.1': 2, 'histogram.2': 1 });
    expect(result.summary).toBe('3 reads that found a value: mean 1.333 siblings, p99 2, max 2 (1 more found none)');
    // The final read phase is the checkers' own: not in the distribution.
    h.get(9, 'k', ['a', 'b', 'c'], 100, 110, { final: true });
    expect(checkSiblings(h.build(), { maxSiblings: 2 }).figures).toMatchObject({ reads: 4, max: 2 });
  });

  it('catches a sibling explosion beyond the configured maximum', () => {
    const h = new HistoryBuilder();
    h.get(1, 'k', ['a'], 0, 10);
    const values = Array.from({ length: 40 }, (_, i) => `p${i}-0`);
    const big = h.get(2, 'hot', values, 20, 30);
    const result = checkSiblings(h.build(), { maxSiblings: 8 });
    expect(result.verdict).toBe('fail');
    expect(result.figures.max).toBe(40);
    expect(result.counterexamples[0]).toMatchObject({ key: 'hot', events: indexesOf(big) });
    expect(result.counterexamples[0]?.explanation).toMatch(/40 siblings \(limit 8\)/);
  });

  it('without a threshold it only measures', () => {
    const h = new HistoryBuilder();
    h.get(2, 'hot', Array.from({ length: 100 }, (_, i) => `v${i}`), 0, 10);
    expect(checkSiblings(h.build()).verdict).toBe('ok');
  });
});
