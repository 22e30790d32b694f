import { describe, expect, it } from 'vitest';
import { CHECKER_NAMES, CHECKERS, runChecker } from '../../../sim/checkers';
import { HistoryBuilder } from './history-builder';

describe('checker registry', () => {
  it('has every checker the scenario schema names, each returning a well-formed result', () => {
    const h = new HistoryBuilder();
    h.put(1, 'k', 'a', 0, 10);
    h.get(2, 'k', ['a'], 20, 30);
    h.get(9, 'k', ['a'], 100, 110, { final: true });
    const history = h.build();
    expect(Object.keys(CHECKERS).sort()).toEqual([...CHECKER_NAMES].sort());
    for (const name of CHECKER_NAMES) {
      const result = runChecker(name, history, { mode: 'lww', samples: [{ time: 50, divergentKeys: 0 }], healTime: 40, thresholdMicros: 100 });
      expect(result.checker).toBe(name);
      expect(result.verdict, `${name}: ${result.summary}`).toBe('ok');
      for (const value of Object.values(result.figures)) expect(Number.isFinite(value)).toBe(true);
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    }
  });

  it('names the bad option or the unknown checker', () => {
    expect(() => runChecker('nope', [])).toThrow(/unknown checker 'nope'.*lost-writes/);
    expect(() => runChecker('stale-reads', [], { maxStaleRate: 'high' })).toThrow(/stale-reads: option 'maxStaleRate' must be a number/);
    expect(() => runChecker('lost-writes', [], { mode: 'crdt' as never })).toThrow(/'mode' must be 'vclock' or 'lww'/);
    expect(() => runChecker('convergence', [], { healTime: 0, thresholdMicros: 1 })).toThrow(/'samples'/);
    expect(runChecker('lost-writes', [], { conflict: 'lww' }).summary).toMatch(/lww|reflected/);
  });
});
