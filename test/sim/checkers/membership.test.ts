import { describe, expect, it } from 'vitest';
import { checkMembership } from '../../../sim/checkers/membership';

describe('membership checker', () => {
  it('passes when every change switched the ring and ran its catch-up pass, and when there was none', () => {
    expect(checkMembership([]).summary).toBe('no membership change in this run');
    const done = checkMembership([{ kind: 'join', node: 'n5', atSeconds: 8, totalSeconds: 1, caughtUpSeconds: 2 }]);
    expect(done.verdict).toBe('ok');
    expect(done.figures).toEqual({ changes: 1, unfinished: 0, skipped: 0 });
  });

  it('fails a change whose copy or catch-up pass never finished, naming the node and the stage', () => {
    const result = checkMembership([
      { kind: 'join', node: 'n5', atSeconds: 8, totalSeconds: null, caughtUpSeconds: null },
      { kind: 'leave', node: 'n1', atSeconds: 25, totalSeconds: 1, caughtUpSeconds: null },
      { kind: 'leave', node: 'n2', atSeconds: 30, totalSeconds: 1, caughtUpSeconds: 2 },
    ]);
    expect(result.verdict).toBe('fail');
    expect(result.summary).toBe('2 of 3 joins and leaves never finished');
    expect(result.counterexamples.map((c) => c.explanation)).toEqual([
      'the join of n5 announced at 8.0 s: its copy never finished (the ring never switched)',
      'the leave of n1 announced at 25.0 s: its catch-up pass never finished',
    ]);
  });
});
