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

  describe('cas expecting absence', () => {
    it('fails two acknowledged cas operations on a fresh key that both expected it absent, one after the other', () => {
      // The reviewer's shape: nothing ever removed the first winner's value, so the second found the key absent
      // only if the first had not won.
      const h = new HistoryBuilder();
      h.get(1, 'k', [], 0, 5);
      const first = h.cas(1, 'k', null, 'a', 10, 20);
      const second = h.cas(2, 'k', null, 'b', 30, 40);
      h.get(3, 'k', ['a', 'b'], 50, 60, { final: true });
      const result = checkCasWinners(h.build());
      expect(result.verdict).toBe('fail');
      expect(result.figures).toEqual({ acknowledged: 2, doubleWins: 1, mostWinners: 2 });
      expect(result.counterexamples).toHaveLength(1);
      expect(result.counterexamples[0]?.key).toBe('k');
      expect(result.counterexamples[0]?.events).toEqual([first.invoke.index, second.invoke.index]);
      expect(result.counterexamples[0]?.explanation).toBe(
        `2 cas operations expecting absent all succeeded: a (process 1, event ${first.invoke.index}), b (process 2, event ${second.invoke.index}), with no delete that could have made the key absent again between them`,
      );
    });

    it('fails two concurrent cas operations that both expected absence and both succeeded', () => {
      const h = new HistoryBuilder();
      h.cas(1, 'k', null, 'a', 10, 30);
      h.cas(2, 'k', null, 'b', 15, 35);
      expect(checkCasWinners(h.build()).verdict).toBe('fail');
    });

    it('passes absence won again after each delete that did not fail, whether acknowledged, unknown or never answered', () => {
      const h = new HistoryBuilder();
      h.cas(1, 'k', null, 'a', 0, 10);
      h.del(2, 'k', 20, 30);
      h.cas(1, 'k', null, 'b', 40, 50);
      h.del(2, 'k', 60, 70, { type: 'info' }); // may have removed b: the key may be absent again
      h.cas(1, 'k', null, 'c', 80, 90);
      h.cas(3, 'k', null, 'd', 85, 95, { type: 'fail' }); // refused: it did not win
      h.cas(4, 'k', null, 'e', 86, 96, { type: 'info' }); // may or may not have won: not counted
      h.del(2, 'k', 100, 0, { type: 'open' }); // the run ended first: may have taken effect any time after
      h.cas(1, 'k', null, 'f', 120, 130);
      const result = checkCasWinners(h.build());
      expect(result.verdict, result.counterexamples[0]?.explanation).toBe('ok');
      expect(result.figures).toEqual({ acknowledged: 4, doubleWins: 0, mostWinners: 0 });
    });

    it('passes a delete concurrent with both winners: it may have taken effect between them', () => {
      const h = new HistoryBuilder();
      h.cas(1, 'k', null, 'a', 10, 20);
      h.del(2, 'k', 5, 45);
      h.cas(3, 'k', null, 'b', 30, 40);
      expect(checkCasWinners(h.build()).verdict).toBe('ok');
    });

    it('fails when the only delete between the winners failed: it certainly did not remove anything', () => {
      const h = new HistoryBuilder();
      h.cas(1, 'k', null, 'a', 0, 10);
      h.del(2, 'k', 20, 30, { type: 'fail' });
      h.cas(1, 'k', null, 'b', 40, 50);
      expect(checkCasWinners(h.build()).verdict).toBe('fail');
    });

    it('fails two winners after a delete that finished before either began: it can have made the key absent once', () => {
      const h = new HistoryBuilder();
      h.put(1, 'k', 'a', 0, 10);
      const del = h.del(1, 'k', 20, 30);
      const first = h.cas(2, 'k', null, 'b', 40, 50);
      const second = h.cas(3, 'k', null, 'c', 60, 70);
      const result = checkCasWinners(h.build());
      expect(result.verdict).toBe('fail');
      expect(result.counterexamples[0]?.events).toEqual([first.invoke.index, second.invoke.index]);
      expect(result.counterexamples[0]?.events).not.toContain(del.invoke.index);
    });

    it('fails three winners with one unknown delete among them: one delete makes the key absent at most once', () => {
      // An info delete may take effect at any time after it was invoked, but only once: it cannot make room for
      // every later winner (else one timed-out delete would excuse the key for the rest of the run).
      const h = new HistoryBuilder();
      h.cas(1, 'k', null, 'a', 0, 10);
      const del = h.del(2, 'k', 20, 30, { type: 'info' });
      h.cas(1, 'k', null, 'b', 40, 50);
      h.cas(3, 'k', null, 'c', 60, 70);
      const result = checkCasWinners(h.build());
      expect(result.verdict).toBe('fail');
      expect(result.figures).toEqual({ acknowledged: 3, doubleWins: 1, mostWinners: 2 });
      expect(result.counterexamples[0]?.events).toContain(del.invoke.index);
      expect(result.counterexamples[0]?.explanation).toMatch(/3 cas operations expecting absent all succeeded: .*, with only 1 delete .* between them/);
    });

    it('fails a stretch of winners with no delete between them even when the key was deleted elsewhere often enough', () => {
      // Four winners and three deletes: enough overall, but the middle two winners have none between them.
      const h = new HistoryBuilder();
      h.cas(1, 'k', null, 'a', 0, 10);
      h.del(2, 'k', 20, 30);
      const second = h.cas(1, 'k', null, 'b', 40, 50);
      const third = h.cas(3, 'k', null, 'c', 60, 70);
      h.del(2, 'k', 80, 90);
      h.del(2, 'k', 100, 110);
      h.cas(1, 'k', null, 'd', 120, 130);
      const result = checkCasWinners(h.build());
      expect(result.verdict).toBe('fail');
      expect(result.counterexamples[0]?.events).toEqual([second.invoke.index, third.invoke.index]);
    });

    it('judges each key on its own deletes, and a value-expecting double win apart from the absence one', () => {
      const h = new HistoryBuilder();
      h.cas(1, 'k', null, 'a', 0, 10);
      h.del(2, 'j', 20, 30); // another key's delete removes nothing of k
      h.cas(1, 'k', null, 'b', 40, 50);
      h.cas(3, 'k', 'b', 'c', 60, 70);
      h.cas(4, 'k', 'b', 'd', 62, 72);
      const result = checkCasWinners(h.build());
      expect(result.verdict).toBe('fail');
      expect(result.figures).toEqual({ acknowledged: 4, doubleWins: 2, mostWinners: 2 });
      expect(result.counterexamples.map((c) => c.explanation)).toEqual([expect.stringMatching(/expecting b all succeeded/), expect.stringMatching(/expecting absent all succeeded/)]);
    });
  });
});
