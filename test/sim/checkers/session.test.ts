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

  it('a read that only a delete can explain commits the session to that delete: the deleted value cannot come back', () => {
    // Process 2 reads [A], then [] — after reading A, only the delete (context [A]) explains "not found" — then
    // [A] again. If the delete happened the third read went back in time; if not, the second lost A. Either way
    // monotonic reads is broken (found by the checker review: ok in both modes, the delete being info or
    // acknowledged only after the third read began).
    for (const mode of ['vclock', 'lww'] as const) {
      for (const late of ['info', 'acknowledged late'] as const) {
        const h = new HistoryBuilder();
        h.put(1, 'k', 'A', 0, 10);
        h.get(2, 'k', ['A'], 20, 30);
        const del = h.del(3, 'k', 35, late === 'info' ? 10_000_000 : 100, { context: ['A'], type: late === 'info' ? 'info' : 'ok' });
        const empty = h.get(2, 'k', [], 40, 50);
        const back = h.get(2, 'k', ['A'], 60, 70);
        const result = checkSession(h.build(), { mode });
        expect(result.verdict, `${mode}, ${late}`).toBe('fail');
        expect(result.figures, `${mode}, ${late}`).toMatchObject({ readYourWritesViolations: 0, monotonicReadsViolations: 1 });
        // Under LWW the rule for A, B, A says it first: the empty read showed a delete stamped above A.
        expect(result.counterexamples[0]?.events, `${mode}, ${late}`).toEqual(expect.arrayContaining([...indexesOf(empty, back), ...(mode === 'vclock' ? [del.invoke.index] : [])]));
        expect(result.counterexamples[0]?.explanation, `${mode}, ${late}`).toMatch(
          mode === 'vclock'
            ? /monotonic reads: process 2 read \[\] \(event \d+\), which after what it had read or written only a delete could explain \(delete \(event \d+\)\), then \[A\], which reflects none of them/
            : /monotonic reads \(lww\): process 2 read A again after its read \[\] \(event \d+\) had shown a delete in its place/,
        );
      }
    }
    // The same when what the empty read owes is the process's own write rather than a value it read.
    for (const mode of ['vclock', 'lww'] as const) {
      const own = new HistoryBuilder();
      own.put(2, 'k', 'A', 0, 10);
      own.del(3, 'k', 15, 10_000_000, { context: ['A'], type: 'info' });
      own.get(2, 'k', [], 40, 50);
      own.get(2, 'k', ['A'], 60, 70);
      expect(checkSession(own.build(), { mode }).figures, mode).toMatchObject({ readYourWritesViolations: 0, monotonicReadsViolations: 1 });
    }
    // LWW: after the delete, a value stamped before the delete was even invoked is going back too.
    const older = new HistoryBuilder();
    older.put(1, 'k', 'A', 0, 10);
    older.put(4, 'k', 'B', 12, 15);
    older.get(2, 'k', ['A'], 20, 30);
    const del = older.del(3, 'k', 35, 10_000_000, { context: ['A'], type: 'info' });
    older.get(2, 'k', [], 40, 50);
    const stale = older.get(2, 'k', ['B'], 60, 70);
    const lww = checkSession(older.build(), { mode: 'lww' });
    expect(lww.figures).toMatchObject({ readYourWritesViolations: 0, monotonicReadsViolations: 1 });
    expect(lww.counterexamples[0]?.events).toEqual(expect.arrayContaining([del.invoke.index, stale.invoke.index]));
    // Under vclock B and the delete are siblings (neither names the other): the delete hides beside B.
    expect(checkSession(older.build(), { mode: 'vclock' }).verdict).toBe('ok');
    // LWW: a delete concurrent with A that the empty read showed was stamped above A, so A cannot come back
    // either (one timestamp order, as for A, B, A). Under vclock that blind delete does not supersede A: the
    // empty read itself lost A, and is the one violation.
    for (const mode of ['vclock', 'lww'] as const) {
      const concurrent = new HistoryBuilder();
      concurrent.put(1, 'k', 'A', 0, 10);
      concurrent.del(3, 'k', 5, 15);
      concurrent.get(2, 'k', ['A'], 20, 30);
      const empty = concurrent.get(2, 'k', [], 40, 50);
      const back = concurrent.get(2, 'k', ['A'], 60, 70);
      const result = checkSession(concurrent.build(), { mode });
      expect(result.figures.monotonicReadsViolations, mode).toBe(1);
      expect(result.counterexamples[0]?.events, mode).toContain((mode === 'lww' ? back : empty).invoke.index);
    }
  });

  it('a read of nothing proves no delete when the session owed nothing yet, and deletes beside concurrent writes are no violation', () => {
    for (const mode of ['vclock', 'lww'] as const) {
      // "Not found" before any write reached the session: the key may simply not have been written yet.
      const early = new HistoryBuilder();
      early.put(1, 'k', 'A', 0, 100);
      early.del(3, 'k', 5, 200, { context: ['A'], type: 'info' });
      early.get(2, 'k', [], 3, 8);
      early.get(2, 'k', ['A'], 120, 130);
      expect(checkSession(early.build(), { mode }).verdict, mode).toBe('ok');
      // Deleted, then written again: the new value is newer than the delete (or, under vclock, its sibling).
      const rewritten = new HistoryBuilder();
      rewritten.put(1, 'k', 'A', 0, 10);
      rewritten.get(2, 'k', ['A'], 20, 30);
      rewritten.del(3, 'k', 32, 38, { context: ['A'] });
      rewritten.get(2, 'k', [], 40, 50);
      rewritten.get(2, 'k', [], 55, 58);
      rewritten.put(4, 'k', 'B', 60, 65);
      rewritten.get(2, 'k', ['B'], 70, 80);
      rewritten.get(2, 'k', ['B'], 90, 100);
      expect(checkSession(rewritten.build(), { mode }).verdict, mode).toBe('ok');
    }
    // vclock: a delete and a write both replacing A are siblings; a read may show the tombstone alone (not
    // found), then the write (the tombstone hidden beside it).
    const siblings = new HistoryBuilder();
    siblings.put(1, 'k', 'A', 0, 10);
    siblings.get(2, 'k', ['A'], 20, 30);
    siblings.del(3, 'k', 32, 38, { context: ['A'] });
    siblings.put(4, 'k', 'B', 33, 39, { context: ['A'] });
    siblings.get(2, 'k', [], 40, 50);
    siblings.get(2, 'k', ['B'], 60, 70);
    siblings.get(2, 'k', ['B'], 80, 90);
    expect(checkSession(siblings.build(), { mode: 'vclock' }).verdict).toBe('ok');
  });
});
