import { describe, expect, it } from 'vitest';
import { checkLwwLostOverwrites } from '../../../sim/checkers/lww-lost-overwrites';
import { HistoryBuilder, indexesOf } from './history-builder';

describe('lww-lost-overwrites checker', () => {
  it('passes when the last write in real time wins, or a concurrent one does', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.put(2, 'k', 'b', 20, 30);
    h.get(9, 'k', ['b'], 100, 110, { final: true });
    h.put(3, 'j', 'c', 0, 20);
    h.put(4, 'j', 'd', 10, 30); // concurrent with c: either may win
    h.get(8, 'j', ['c'], 100, 110, { final: true });
    const result = checkLwwLostOverwrites(h.build());
    expect(result.verdict).toBe('ok');
    expect(result.figures).toMatchObject({ acknowledgedWritesChecked: 4, lostOverwrites: 0, fraction: 0 });
  });

  it('catches a clock-skew overwrite: a later write silently lost to one that completed before it started', () => {
    // n1's clock runs ahead: its write a (done at 10) carries a timestamp above b's (invoked at 20).
    const h = new HistoryBuilder();
    const winner = h.put(1, 'k', 'a', 0, 10);
    const lost = h.put(2, 'k', 'b', 20, 30, { context: ['a'] });
    h.put(3, 'k', 'c', 40, 50, { context: ['a'] });
    const final = h.get(9, 'k', ['a'], 100, 110, { final: true });
    const result = checkLwwLostOverwrites(h.build());
    expect(result.verdict).toBe('fail');
    expect(result.figures).toMatchObject({ acknowledgedWritesChecked: 3, lostOverwrites: 2, fraction: 0.666667 });
    expect(result.counterexamples[0]?.events).toEqual(indexesOf(winner, lost, { invoke: final.completion!, completion: undefined }));
    expect(result.counterexamples[0]?.explanation).toMatch(/put b .* lost to the earlier put a/);
  });

  it('a delete that completed before a put started and still wins is a lost overwrite too; a missing key with no delete is not counted here', () => {
    const d = new HistoryBuilder();
    d.del(1, 'k', 0, 10);
    d.put(2, 'k', 'b', 20, 30);
    d.get(9, 'k', [], 100, 110, { final: true });
    expect(checkLwwLostOverwrites(d.build()).figures.lostOverwrites).toBe(1);
    const gone = new HistoryBuilder();
    gone.put(2, 'k', 'b', 20, 30);
    gone.get(9, 'k', [], 100, 110, { final: true });
    expect(checkLwwLostOverwrites(gone.build()).figures.lostOverwrites).toBe(0);
  });

  it('a write whose outcome is unknown but which was answered before a later write started cannot legitimately beat it', () => {
    // The info answer came at 10, after the coordinator stamped X; W was invoked at 100 (found by the checker
    // review: an info write was taken as "stamped any time" and the overwrite passed).
    const h = new HistoryBuilder();
    const winner = h.put(1, 'k', 'X', 0, 10, { type: 'info' });
    const lost = h.put(2, 'k', 'W', 100, 110);
    const final = h.get(4, 'k', ['X'], 1000, 1010, { final: true });
    const result = checkLwwLostOverwrites(h.build());
    expect(result.verdict).toBe('fail');
    expect(result.figures).toMatchObject({ acknowledgedWritesChecked: 1, lostOverwrites: 1 });
    expect(result.counterexamples[0]?.events).toEqual(indexesOf(winner, lost, { invoke: final.completion!, completion: undefined }));
    expect(result.counterexamples[0]?.explanation).toMatch(/put W .* lost to the earlier put X \(outcome unknown, answered 10 µs, before it started\)/);
    // A write that never completed bounds nothing: it may have been stamped after W.
    const open = new HistoryBuilder();
    open.put(1, 'k', 'X', 0, 0, { type: 'open' });
    open.put(2, 'k', 'W', 100, 110);
    open.get(4, 'k', ['X'], 1000, 1010, { final: true });
    expect(checkLwwLostOverwrites(open.build()).verdict).toBe('ok');
  });

  it('a write acknowledged only after every final read of its key began is not judged: unknown, as in lost-writes', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'A', 0, 10);
    h.put(2, 'k', 'W', 20, 500);
    h.get(3, 'k', ['A'], 100, 110, { final: true });
    const result = checkLwwLostOverwrites(h.build());
    expect(result.verdict).toBe('unknown');
    expect(result.figures).toMatchObject({ acknowledgedWritesChecked: 1, acknowledgedWritesUnchecked: 1, acknowledgedAfterFinalReads: 1, lostOverwrites: 0 });
    expect(result.summary).toMatch(/1 acknowledged writes on 1 keys not judged \(acknowledged only after every final read of the key began\)/);
    h.get(4, 'k', ['W'], 600, 610, { final: true });
    expect(checkLwwLostOverwrites(h.build()).verdict).toBe('ok');
  });
});
