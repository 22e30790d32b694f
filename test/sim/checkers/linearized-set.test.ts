import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearizedSet } from '../../../sim/checkers/linearized-set';

describe('linearized set (the memo key of the linearizability search)', () => {
  it('snapshots are exact: equal sets match, different sets never do, and the hash follows the set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.nat(), { maxLength: 300 }), (size, toggles) => {
        const set = new LinearizedSet(size);
        const model = new Set<number>();
        const seen: { members: number[]; snapshot: Int32Array; hash: string }[] = [];
        for (const t of toggles) {
          const i = t % size;
          if (model.has(i)) {
            set.remove(i);
            model.delete(i);
          } else {
            set.add(i);
            model.add(i);
          }
          const members = [...model].sort((a, b) => a - b);
          for (const earlier of seen) {
            const same = earlier.members.length === members.length && earlier.members.every((m, k) => m === members[k]);
            expect(set.matches(earlier.snapshot)).toBe(same);
            if (same) expect(`${set.hashA}.${set.hashB}`).toBe(earlier.hash);
          }
          seen.push({ members, snapshot: set.snapshot(), hash: `${set.hashA}.${set.hashB}` });
          expect(set.members).toBe(model.size);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses double adds and removing a non-member', () => {
    const set = new LinearizedSet(4);
    set.add(1);
    expect(() => set.add(1)).toThrow(/added twice/);
    expect(() => set.remove(2)).toThrow(/not a member/);
  });
});
