import { describe, expect, it } from 'vitest';
import { checkStaleReads } from '../../../sim/checkers/stale-reads';
import { HistoryBuilder, indexesOf } from './history-builder';

describe('stale-reads checker', () => {
  it('passes fresh reads; a read concurrent with a write may return either value', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.get(2, 'k', ['a'], 20, 30);
    h.put(1, 'k', 'b', 40, 60, { context: ['a'] });
    h.get(2, 'k', ['a'], 45, 50); // concurrent with put b: old value allowed
    h.get(3, 'k', ['b'], 50, 55); // concurrent: new value allowed
    h.get(2, 'k', ['b'], 70, 80);
    const result = checkStaleReads(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('ok');
    expect(result.figures).toMatchObject({ reads: 4, staleReads: 0, staleRate: 0, worstStalenessMicros: 0 });
  });

  it('catches a read that misses a write acknowledged before it started, with rate and staleness', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    const b = h.put(1, 'k', 'b', 20, 30, { context: ['a'] });
    h.get(2, 'k', ['b'], 40, 45);
    const stale = h.get(3, 'k', ['a'], 130, 140); // b was acknowledged at 30: 100 µs stale
    const result = checkStaleReads(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('fail');
    expect(result.figures).toMatchObject({ reads: 2, staleReads: 1, staleRate: 0.5, worstStalenessMicros: 100, p99StalenessMicros: 100 });
    expect(result.counterexamples[0]?.events).toEqual(indexesOf(b, stale));
    expect(result.counterexamples[0]?.explanation).toContain('put b');
  });

  it('leaves the final read phase out of the rate: its reads are the lost-writes checker\'s, not the workload\'s', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.put(1, 'k', 'b', 20, 30, { context: ['a'] });
    h.get(3, 'k', ['a'], 130, 140); // stale
    for (let i = 0; i < 9; i++) h.get(10 + i, `f${i}`, [], 200, 210, { final: true });
    const result = checkStaleReads(h.build(), { mode: 'vclock', maxStaleRate: 0.5 });
    expect(result.figures).toMatchObject({ reads: 1, staleReads: 1, staleRate: 1 }); // was 1 of 10 with the final reads
    expect(result.verdict).toBe('fail');
  });

  it('reports worst and p99 staleness over many stale reads, and honours maxStaleRate', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.put(1, 'k', 'b', 20, 30, { context: ['a'] });
    for (let i = 0; i < 100; i++) h.get(2, 'k', ['a'], 40 + 10 * i, 45 + 10 * i);
    const result = checkStaleReads(h.build(), { mode: 'vclock', maxCounterexamples: 2 });
    expect(result.figures.staleReads).toBe(100);
    expect(result.figures.worstStalenessMicros).toBe(40 + 990 - 30);
    expect(result.figures.p99StalenessMicros).toBe(40 + 980 - 30);
    expect(result.counterexamples).toHaveLength(2);
    expect(checkStaleReads(h.build(), { mode: 'vclock', maxStaleRate: 1 }).verdict).toBe('ok');
  });

  it('a missing write excused by a causally newer value is not stale; a failed write never counts', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.put(2, 'k', 'b', 20, 30, { context: ['a'] });
    h.put(3, 'k', 'x', 35, 38, { type: 'fail' });
    h.get(2, 'k', ['b'], 40, 45);
    expect(checkStaleReads(h.build(), { mode: 'vclock' }).verdict).toBe('ok');
  });

  it('lww: a concurrent-or-later write shown instead is fresh; an earlier one is stale', () => {
    const ok = new HistoryBuilder();
    ok.put(2, 'k', 'b', 5, 25); // invoked before a, completed after a was invoked: may carry the later timestamp
    ok.put(1, 'k', 'a', 10, 20);
    ok.get(3, 'k', ['b'], 30, 40);
    expect(checkStaleReads(ok.build(), { mode: 'lww' }).verdict).toBe('ok');

    const bad = new HistoryBuilder();
    bad.put(2, 'k', 'b', 0, 5);
    bad.put(1, 'k', 'a', 10, 20);
    bad.get(3, 'k', ['b'], 30, 40);
    expect(checkStaleReads(bad.build(), { mode: 'lww' }).verdict).toBe('fail');
  });

  it('lww: a value whose write ended unknown (info) before the missed write started is stale, as if acknowledged', () => {
    // X's coordinator stamped it before answering "unknown" at 10; W, invoked at 100, out-stamps it (found by
    // the checker review). A delete answered unknown before W started is no excuse either.
    const h = new HistoryBuilder();
    h.put(1, 'k', 'X', 0, 10, { type: 'info' });
    const w = h.put(2, 'k', 'W', 100, 110);
    const stale = h.get(3, 'k', ['X'], 200, 210);
    const result = checkStaleReads(h.build(), { mode: 'lww' });
    expect(result.verdict).toBe('fail');
    expect(result.figures).toMatchObject({ staleReads: 1, worstStalenessMicros: 90 });
    expect(result.counterexamples[0]?.events).toEqual(indexesOf(w, stale));
    const d = new HistoryBuilder();
    d.del(1, 'k', 0, 10, { type: 'info' });
    d.put(2, 'k', 'W', 100, 110);
    d.get(3, 'k', [], 200, 210);
    expect(checkStaleReads(d.build(), { mode: 'lww' }).figures.staleReads).toBe(1);
    // Answered after W was invoked, or never answered: it may carry the later stamp.
    const late = new HistoryBuilder();
    late.put(1, 'k', 'X', 0, 150, { type: 'info' });
    late.put(2, 'k', 'W', 100, 110);
    late.get(3, 'k', ['X'], 200, 210);
    expect(checkStaleReads(late.build(), { mode: 'lww' }).verdict).toBe('ok');
  });

  it('a not-found read after an acknowledged write, with no delete, is stale; after a delete it is fresh', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.get(2, 'k', [], 20, 30);
    expect(checkStaleReads(h.build(), { mode: 'vclock' }).figures.staleReads).toBe(1);
    const d = new HistoryBuilder();
    d.put(1, 'k', 'a', 0, 10);
    d.del(1, 'k', 12, 15, { context: ['a'] });
    d.get(2, 'k', [], 20, 30);
    expect(checkStaleReads(d.build(), { mode: 'vclock' }).verdict).toBe('ok');
    expect(checkStaleReads(d.build(), { mode: 'lww' }).verdict).toBe('ok');
  });
  it('fails phantom reads whatever the allowed stale rate: a failed write, a value never written, one from the future, a dominated sibling', () => {
    // Found by the checker review: each of these passed every checker but linearizability, which rejects every
    // sibling read anyway, so in vclock mode nothing caught them.
    const phantom = (build: (h: HistoryBuilder) => void, mode: 'vclock' | 'lww' = 'vclock') => {
      const h = new HistoryBuilder();
      build(h);
      return checkStaleReads(h.build(), { mode, maxStaleRate: 1 });
    };
    const failed = phantom((h) => {
      h.put(1, 'k', 'a', 0, 10);
      h.put(2, 'k', 'x', 20, 30, { type: 'fail' });
      h.get(3, 'k', ['x'], 40, 50);
    });
    expect(failed.verdict).toBe('fail');
    expect(failed.figures.phantomReads).toBe(1);
    expect(failed.counterexamples[0]?.explanation).toMatch(/phantom read: .* x was written by a write that failed/);
    expect(phantom((h) => h.get(3, 'k', ['never'], 40, 50)).counterexamples[0]?.explanation).toMatch(/never was never written to this key/);
    const future = phantom((h) => {
      h.get(3, 'k', ['late'], 40, 50);
      h.put(1, 'k', 'late', 60, 70);
    }, 'lww');
    expect(future.counterexamples[0]?.explanation).toMatch(/invoked after this read returned/);
    const dominated = phantom((h) => {
      h.put(1, 'k', 'a', 0, 10);
      h.put(2, 'k', 'b', 20, 30, { context: ['a'] });
      h.get(3, 'k', ['a', 'b'], 40, 50);
    });
    expect(dominated.counterexamples[0]?.explanation).toMatch(/a is shown beside a sibling that causally supersedes it/);
    const twoUnderLww = phantom((h) => {
      h.put(1, 'k', 'a', 0, 10);
      h.put(2, 'k', 'b', 0, 10);
      h.get(3, 'k', ['a', 'b'], 40, 50);
    }, 'lww');
    expect(twoUnderLww.counterexamples[0]?.explanation).toMatch(/last-writer-wins keeps one version, yet the read returned 2/);
    // Concurrent siblings (neither saw the other) are no phantom; nor is an info write's value, nor an empty read.
    const fine = phantom((h) => {
      h.put(1, 'k', 'a', 0, 10);
      h.put(2, 'k', 'b', 0, 10);
      h.put(4, 'k', 'c', 5, 15, { type: 'info' });
      h.get(3, 'k', ['a', 'b', 'c'], 40, 50);
      h.get(3, 'k', [], 60, 70);
    });
    expect(fine.figures.phantomReads).toBe(0);
    expect(fine.verdict).toBe('ok');
  });
});
