import { describe, expect, it } from 'vitest';
import { checkCasWinners } from '../../../sim/checkers/cas-winners';
import { HistoryBuilder, indexesOf } from './history-builder';

describe('cas-winners checker', () => {
  it('passes one winner per version: a chain of cas, a failed one, an info one, two on an absent key', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.cas(2, 'k', 'a', 'b', 20, 30);
    h.cas(3, 'k', 'a', 'c', 25, 35, { type: 'fail' }); // lost the race: refused
    h.cas(4, 'k', 'b', 'd', 40, 50);
    h.cas(5, 'k', 'b', 'e', 45, 55, { type: 'info' }); // may or may not have won: not counted
    h.cas(6, 'j', null, 'x', 0, 10); // "expected absent" may win once per delete
    h.del(6, 'j', 20, 30);
    h.cas(7, 'j', null, 'y', 40, 50);
    const result = checkCasWinners(h.build());
    expect(result.verdict).toBe('ok');
    expect(result.figures).toEqual({ acknowledged: 4, doubleWins: 0, mostWinners: 0 });
  });

  it('fails two acknowledged cas operations that expected the same version, naming both', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    const first = h.cas(2, 'k', 'a', 'b', 20, 30);
    const second = h.cas(3, 'k', 'a', 'c', 22, 32);
    const result = checkCasWinners(h.build());
    expect(result.verdict).toBe('fail');
    expect(result.figures).toEqual({ acknowledged: 2, doubleWins: 1, mostWinners: 2 });
    expect(result.counterexamples[0]?.events).toEqual([first.invoke.index, second.invoke.index]);
    expect(result.counterexamples[0]?.explanation).toMatch(/2 cas operations expecting a all succeeded: b \(process 2/);
  });
});
