import { describe, expect, it } from 'vitest';
import { checkLostWrites } from '../../../sim/checkers/lost-writes';
import { HistoryBuilder, indexesOf } from './history-builder';

describe('lost-writes checker', () => {
  it('passes when the final read shows the last write and it supersedes the earlier ones (vclock)', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'p1-0', 0, 10);
    h.put(2, 'k', 'p2-0', 20, 30, { context: ['p1-0'] });
    h.put(1, 'k', 'p1-1', 40, 50, { context: ['p2-0'] });
    h.get(9, 'k', ['p1-1'], 100, 110, { final: true });
    const result = checkLostWrites(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('ok');
    expect(result.figures).toMatchObject({ acknowledgedWrites: 3, lost: 0, keysChecked: 1 });
  });

  it('catches an acknowledged blind write that vanished in vclock mode, naming the write and the final read', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'p1-0', 0, 10);
    const lost = h.put(2, 'k', 'p2-0', 5, 15); // concurrent, blind: must survive as a sibling
    const final = h.get(9, 'k', ['p1-0'], 100, 110, { final: true });
    const result = checkLostWrites(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('fail');
    expect(result.figures.lost).toBe(1);
    expect(result.counterexamples).toHaveLength(1);
    expect(result.counterexamples[0]?.key).toBe('k');
    expect(result.counterexamples[0]?.events).toEqual(indexesOf(lost, final));
    expect(result.counterexamples[0]?.explanation).toContain('put p2-0');
  });

  it('in lww mode a concurrent write may win, but not a write that completed before the lost one was invoked', () => {
    const concurrent = new HistoryBuilder();
    concurrent.put(1, 'k', 'p1-0', 0, 10);
    concurrent.put(2, 'k', 'p2-0', 5, 15);
    concurrent.get(9, 'k', ['p1-0'], 100, 110, { final: true });
    expect(checkLostWrites(concurrent.build(), { mode: 'lww' }).verdict).toBe('ok');

    const sequential = new HistoryBuilder();
    sequential.put(1, 'k', 'p1-0', 0, 10);
    sequential.put(2, 'k', 'p2-0', 20, 30);
    sequential.get(9, 'k', ['p1-0'], 100, 110, { final: true });
    const result = checkLostWrites(sequential.build(), { mode: 'lww' });
    expect(result.verdict).toBe('fail');
    expect(result.counterexamples[0]?.explanation).toContain('p2-0');
  });

  it('lww: a write whose outcome is unknown was stamped before its info answer, so a write invoked after that answer must beat it', () => {
    // The coordinator stamps the version before it replies (core/versioning/lww.ts), "quorum not met" included:
    // X's stamp is no later than 10, W's (invoked at 100, honest clocks) is later, so a final read showing only X
    // lost W (found by the checker review: the info write counted as "may be stamped any time" and hid the loss).
    const h = new HistoryBuilder();
    h.put(1, 'k', 'X', 0, 10, { type: 'info' });
    const w = h.put(2, 'k', 'W', 100, 110);
    const final = h.get(4, 'k', ['X'], 1000, 1010, { final: true });
    const result = checkLostWrites(h.build(), { mode: 'lww' });
    expect(result.verdict).toBe('fail');
    expect(result.counterexamples[0]?.events).toEqual(indexesOf(w, final));
    // Still excused: an info write answered after W was invoked (its stamp may be W's or later), and a write that
    // never completed at all (no answer bounds its stamp).
    for (const [end, type] of [[150, 'info'], [0, 'open']] as const) {
      const excused = new HistoryBuilder();
      excused.put(1, 'k', 'X', 0, end, { type });
      excused.put(2, 'k', 'W', 100, 110);
      excused.get(4, 'k', ['X'], 1000, 1010, { final: true });
      expect(checkLostWrites(excused.build(), { mode: 'lww' }).verdict, type).toBe('ok');
    }
  });

  it('a write superseded transitively, by an info write, or by a never-completed write is not lost; by a failed one it is', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.put(2, 'k', 'b', 20, 30, { context: ['a'], type: 'info' });
    h.put(3, 'k', 'c', 40, 50, { context: ['b'], type: 'open' });
    h.get(9, 'k', ['c'], 100, 110, { final: true });
    expect(checkLostWrites(h.build(), { mode: 'vclock' }).verdict).toBe('ok');

    const failed = new HistoryBuilder();
    failed.put(1, 'k', 'a', 0, 10);
    failed.put(2, 'k', 'b', 20, 30, { context: ['a'], type: 'fail' });
    failed.get(9, 'k', ['b'], 100, 110, { final: true });
    expect(checkLostWrites(failed.build(), { mode: 'vclock' }).figures.lost).toBe(1);
  });

  it('deletes: an acknowledged delete whose deleted value comes back is lost; an empty final read reflects it', () => {
    const resurrected = new HistoryBuilder();
    resurrected.put(1, 'k', 'a', 0, 10);
    const del = resurrected.del(1, 'k', 20, 30, { context: ['a'] });
    resurrected.get(9, 'k', ['a'], 100, 110, { final: true });
    const result = checkLostWrites(resurrected.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('fail');
    expect(result.counterexamples[0]?.events).toContain(del.invoke.index);

    const deleted = new HistoryBuilder();
    deleted.put(1, 'k', 'a', 0, 10);
    deleted.del(1, 'k', 20, 30, { context: ['a'] });
    deleted.get(9, 'k', [], 100, 110, { final: true });
    expect(checkLostWrites(deleted.build(), { mode: 'vclock' }).verdict).toBe('ok');
  });

  it('skips and counts keys without a final read; with any acknowledged write not judged the verdict is unknown', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.put(1, 'j', 'b', 20, 30);
    h.get(9, 'j', ['b'], 100, 110, { final: true });
    const result = checkLostWrites(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('unknown'); // k's write was acknowledged and never read back: not known to be kept
    expect(result.summary).toMatch(/1 acknowledged writes on 1 keys not judged \(no final read completed\); the other 1 are reflected/);
    expect(result.figures).toMatchObject({ keysChecked: 1, keysWithoutFinalRead: 1, acknowledgedWrites: 2, acknowledgedWritesChecked: 1 });
    h.get(9, 'k', ['a'], 120, 130, { final: true });
    expect(checkLostWrites(h.build(), { mode: 'vclock' }).verdict).toBe('ok');

    const none = new HistoryBuilder();
    none.put(1, 'k', 'a', 0, 10);
    none.get(1, 'k', [], 20, 30); // not final
    expect(checkLostWrites(none.build(), { mode: 'vclock' }).verdict).toBe('unknown');
  });

  it('a write acknowledged only after every final read of its key began is not judged: unknown, not ok', () => {
    // The key's only final read was invoked before W's acknowledgement, so it proves nothing about W (found by
    // the checker review: W counted as checked and the verdict was "all 2 acknowledged writes reflected").
    const h = new HistoryBuilder();
    h.put(1, 'k', 'A', 0, 10);
    h.put(2, 'k', 'W', 20, 500, { context: ['A'] });
    h.get(3, 'k', ['A'], 100, 110, { final: true });
    const result = checkLostWrites(h.build(), { mode: 'vclock' });
    expect(result.verdict).toBe('unknown');
    expect(result.summary).toMatch(/1 acknowledged writes on 1 keys not judged \(acknowledged only after every final read of the key began\)/);
    expect(result.figures).toMatchObject({ acknowledgedWrites: 2, acknowledgedWritesChecked: 1, lost: 0, keysChecked: 1 });
    // A later final read judges it.
    h.get(4, 'k', ['W'], 600, 610, { final: true });
    const judged = checkLostWrites(h.build(), { mode: 'vclock' });
    expect(judged.verdict).toBe('ok');
    expect(judged.summary).toBe('all 2 acknowledged writes reflected in the final reads of 1 keys');
    // A lost write elsewhere still fails the run, whatever could not be judged.
    h.put(5, 'j', 'X', 0, 10);
    h.get(6, 'j', [], 100, 110, { final: true });
    expect(checkLostWrites(h.build(), { mode: 'vclock' }).verdict).toBe('fail');
  });

  it('rejects a context naming a write invoked later (a client can only pass back what it read)', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10, { context: ['b'] });
    h.put(2, 'k', 'b', 5, 15);
    expect(() => checkLostWrites(h.build(), { mode: 'vclock' })).toThrow(/context names 'b'.*invoked later/);
  });

  it('rejects a history that writes the same value twice (the uniqueness convention)', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.put(2, 'k', 'a', 20, 30);
    expect(() => checkLostWrites(h.build(), { mode: 'vclock' })).toThrow(/written twice/);
  });
});
