import { describe, expect, it } from 'vitest';
import { checkSession } from '../../../sim/checkers/session';
import { HistoryBuilder, indexesOf } from './history-builder';

describe('session guarantees checker', () => {
  it('passes when each process reads its own writes and never goes back', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.get(1, 'k', ['a'], 20, 30);
    h.put(2, 'k', 'b', 35, 45, { context: ['a'] });
    h.get(1, 'k', ['b'], 50, 60);
    h.get(1, 'k', ['b'], 70, 80);
    h.get(2, 'k', ['b'], 90, 100);
    const result = checkSession(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('ok');
    expect(result.figures).toMatchObject({ reads: 4, readYourWritesOk: 1, monotonicReadsOk: 1 });
  });

  it("catches a read-your-writes violation: a process misses its own acknowledged write", () => {
    const h = new HistoryBuilder();
    h.put(2, 'k', 'a', 0, 10);
    const own = h.put(1, 'k', 'b', 20, 30, { context: ['a'] });
    const read = h.get(1, 'k', ['a'], 40, 50);
    h.get(3, 'k', ['a'], 40, 50); // another process: not its write, so no RYW claim (stale, but not this checker's)
    const result = checkSession(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('fail');
    expect(result.figures).toMatchObject({ readYourWritesOk: 0, readYourWritesViolations: 1, monotonicReadsOk: 1 });
    expect(result.counterexamples[0]?.events).toEqual(indexesOf(own, read));
    expect(result.counterexamples[0]?.explanation).toMatch(/read-your-writes: process 1/);
  });

  it('catches a monotonic-read violation: a later read returns a value the earlier read had superseded', () => {
    const h = new HistoryBuilder();
    h.put(2, 'k', 'a', 0, 10);
    h.put(2, 'k', 'b', 20, 30, { context: ['a'] });
    const first = h.get(1, 'k', ['b'], 40, 50);
    const second = h.get(1, 'k', ['a'], 60, 70);
    const result = checkSession(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('fail');
    expect(result.figures).toMatchObject({ readYourWritesOk: 1, monotonicReadsOk: 0, monotonicReadsViolations: 1 });
    expect(result.counterexamples[0]?.events).toEqual(expect.arrayContaining([second.invoke.index, second.completion?.index]));
    expect(result.counterexamples[0]?.explanation).toMatch(/monotonic reads: process 1 read \[a\]/);
    expect(first.invoke.index).toBeLessThan(second.invoke.index);
  });

  it('catches a value vanishing with nothing newer in its place (found, then not found, no delete)', () => {
    const h = new HistoryBuilder();
    h.put(2, 'k', 'a', 0, 10);
    const first = h.get(1, 'k', ['a'], 20, 30);
    const second = h.get(1, 'k', [], 40, 50);
    const result = checkSession(h.build(), { mode: 'vclock' });
    expect(result.figures.monotonicReadsViolations).toBe(1);
    expect(result.counterexamples[0]?.events).toEqual(indexesOf(first, second));
    // With a delete of a in between, "not found" is the newer state.
    const d = new HistoryBuilder();
    d.put(2, 'k', 'a', 0, 10);
    d.get(1, 'k', ['a'], 20, 30);
    d.del(2, 'k', 32, 38, { context: ['a'] });
    d.get(1, 'k', [], 40, 50);
    expect(checkSession(d.build(), { mode: 'vclock' }).verdict).toBe('ok');
  });

  it('lww: a concurrent write read instead of my own is allowed; one that finished before mine started is not', () => {
    const ok = new HistoryBuilder();
    ok.put(2, 'k', 'x', 5, 25);
    ok.put(1, 'k', 'mine', 10, 20);
    ok.get(1, 'k', ['x'], 30, 40);
    expect(checkSession(ok.build(), { mode: 'lww' }).verdict).toBe('ok');
    const bad = new HistoryBuilder();
    bad.put(2, 'k', 'x', 0, 5);
    bad.put(1, 'k', 'mine', 10, 20);
    bad.get(1, 'k', ['x'], 30, 40);
    expect(checkSession(bad.build(), { mode: 'lww' }).figures.readYourWritesViolations).toBe(1);
  });
  it('LWW: one session reading A, then B, then A again goes back in time, whatever the writes overlapped', () => {
    // Pairwise each read "may" reflect the other write (A and B were concurrent), but one timestamp order cannot
    // put A both below and above B (found by the checker review: this passed).
    const h = new HistoryBuilder();
    h.put(0, 'k', 'A', 0, 10);
    h.put(1, 'k', 'B', 0, 10);
    h.get(2, 'k', ['A'], 20, 30);
    h.get(2, 'k', ['B'], 40, 50);
    const back = h.get(2, 'k', ['A'], 60, 70);
    h.get(3, 'k', ['A'], 80, 90); // another process: its own session, first read
    const result = checkSession(h.build(), { mode: 'lww' });
    expect(result.verdict).toBe('fail');
    expect(result.figures).toMatchObject({ monotonicReadsViolations: 1, readYourWritesOk: 1 });
    expect(result.counterexamples[0]?.events).toContain(back.invoke.index);
    expect(result.counterexamples[0]?.explanation).toMatch(/monotonic reads \(lww\): process 2 read A again/);
    // A, B, B is fine.
    const fine = new HistoryBuilder();
    fine.put(0, 'k', 'A', 0, 10);
    fine.put(1, 'k', 'B', 0, 10);
    fine.get(2, 'k', ['A'], 20, 30);
    fine.get(2, 'k', ['B'], 40, 50);
    fine.get(2, 'k', ['B'], 60, 70);
    expect(checkSession(fine.build(), { mode: 'lww' }).verdict).toBe('ok');
  });

  it('a read invoked the very µs its own write returned comes after that write', () => {
    for (const mode of ['vclock', 'lww'] as const) {
      const h = new HistoryBuilder();
      h.put(0, 'k', 'A', 0, 10);
      h.put(1, 'k', 'B', 20, 30, { context: ['A'] });
      h.get(1, 'k', ['A'], 30, 40);
      const result = checkSession(h.build(), { mode });
      expect(result.verdict, mode).toBe('fail');
      expect(result.figures.readYourWritesViolations, mode).toBe(1);
    }
  });
});
