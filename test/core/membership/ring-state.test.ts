import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyRecords, fingerprint, fromRecords, initialState, inTransition, mergeStates, placementMembers,
  newerThan, placementRing, recordOf, STATUSES, targetMembers, withStatus, type MemberRecord, type RingState,
} from '../../../core/membership/ring-state';
import { movedRanges, preferenceList, utf8 } from '../../../core/ring';

const record = fc.record({
  id: fc.constantFrom('n0', 'n1', 'n2', 'n3', 'n4', 'n5'),
  weight: fc.constantFrom(0.5, 1, 2),
  status: fc.constantFrom(...STATUSES),
  version: fc.nat(6),
}) as fc.Arbitrary<MemberRecord>;
const state = fc.array(record, { maxLength: 12 }).map((records) => fromRecords(records));

describe('ring state merge', () => {
  it('is commutative, associative and idempotent (property)', () => {
    fc.assert(
      fc.property(state, state, state, (a, b, c) => {
        expect(fingerprint(mergeStates(a, b))).toBe(fingerprint(mergeStates(b, a)));
        expect(fingerprint(mergeStates(mergeStates(a, b), c))).toBe(fingerprint(mergeStates(a, mergeStates(b, c))));
        expect(fingerprint(mergeStates(a, a))).toBe(fingerprint(a));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps per member the higher version; ties broken by status, then weight', () => {
    const a = fromRecords([{ id: 'n1', weight: 1, status: 'active', version: 3 }]);
    const b = fromRecords([{ id: 'n1', weight: 1, status: 'joining', version: 4 }]);
    expect(recordOf(mergeStates(a, b), 'n1')!.status).toBe('joining');
    const c = fromRecords([{ id: 'n1', weight: 1, status: 'leaving', version: 3 }]);
    expect(recordOf(mergeStates(a, c), 'n1')!.status).toBe('leaving');
    const d = fromRecords([{ id: 'n1', weight: 2, status: 'active', version: 3 }]);
    expect(recordOf(mergeStates(d, a), 'n1')!.weight).toBe(2);
  });

  it('every node that has seen the same updates, in any order and with repeats, derives the same ring (property)', () => {
    const base = initialState(['n0', 'n1', 'n2', 'n3', 'n4'].map((id) => ({ id })));
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (updates, order) => {
        let one = base;
        for (const u of updates) one = applyRecords(one, [u]).state;
        let two = base;
        // a different delivery order, with duplicates: `order` picks updates by index
        for (const i of order) two = applyRecords(two, [updates[i % updates.length]!]).state;
        for (const u of updates) two = applyRecords(two, [u]).state;
        expect(fingerprint(two)).toBe(fingerprint(one));
        const r1 = placementRing(one, { kind: 'random-tokens', vnodes: 16 });
        const r2 = placementRing(two, { kind: 'random-tokens', vnodes: 16 });
        expect(Buffer.from(r2.tokens.buffer).equals(Buffer.from(r1.tokens.buffer))).toBe(true);
        expect([...r2.owners]).toEqual([...r1.owners]);
      }),
      { numRuns: 200 },
    );
  });

  it('one push-pull exchange leaves both sides with the merge of the two states (property)', () => {
    fc.assert(
      fc.property(state, state, (a, b) => {
        // a sends its records to b; b merges them and answers with what it holds that beats a's
        const b2 = applyRecords(b, a.records).state;
        const a2 = applyRecords(a, newerThan(b2, a.records)).state;
        expect(fingerprint(a2)).toBe(fingerprint(mergeStates(a, b)));
        expect(fingerprint(b2)).toBe(fingerprint(mergeStates(a, b)));
        // and when nothing differs, the answer is empty
        expect(newerThan(a2, b2.records)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('ring state lifecycle', () => {
  const five = initialState(['n0', 'n1', 'n2', 'n3', 'n4'].map((id) => ({ id })));

  it('a static member list is every member active at version 0, not in transition', () => {
    expect(five.records.map((r) => `${r.id}:${r.status}:${r.version}`)).toEqual(['n0:active:0', 'n1:active:0', 'n2:active:0', 'n3:active:0', 'n4:active:0']);
    expect(inTransition(five)).toBe(false);
  });

  it('a joining node is in the target ring only; a leaving node in the placement ring only', () => {
    const joining = withStatus(five, 'n5', 'joining');
    expect(placementMembers(joining).map((m) => m.id)).not.toContain('n5');
    expect(targetMembers(joining).map((m) => m.id)).toContain('n5');
    expect(inTransition(joining)).toBe(true);
    const leaving = withStatus(five, 'n2', 'leaving');
    expect(placementMembers(leaving).map((m) => m.id)).toContain('n2');
    expect(targetMembers(leaving).map((m) => m.id)).not.toContain('n2');
    const left = withStatus(leaving, 'n2', 'left');
    expect(recordOf(left, 'n2')!.version).toBe(2);
    expect(placementMembers(left).map((m) => m.id)).not.toContain('n2');
    expect(() => withStatus(left, 'n2', 'active')).toThrow(/cannot go from left back to active/);
  });

  it('a join moves ≈ 1/(n+1) of the ring, and only to the newcomer', () => {
    const strategy = { kind: 'random-tokens', vnodes: 64 } as const;
    const before = placementRing(five, strategy);
    const active = withStatus(withStatus(five, 'n5', 'joining'), 'n5', 'active');
    const after = placementRing(active, strategy);
    const moved = movedRanges(before, after, 1);
    let fraction = 0;
    for (const t of moved) {
      expect(t.gained).toEqual(['n5']);
      const d = t.range.end - t.range.start;
      fraction += (d > 0 ? d : d + 2 ** 32) / 2 ** 32;
    }
    expect(fraction).toBeGreaterThan(1 / 6 - 0.06);
    expect(fraction).toBeLessThan(1 / 6 + 0.06);
    // a key the newcomer does not own keeps its owner
    for (let i = 0; i < 200; i++) {
      const key = utf8(`k${i}`);
      const [was] = preferenceList(before, key, 1);
      const [now] = preferenceList(after, key, 1);
      if (now !== 'n5') expect(now).toBe(was);
    }
  });

  it('rejects malformed records', () => {
    expect(() => fromRecords([{ id: 'x', weight: 0, status: 'active', version: 0 }])).toThrow(/weight/);
    expect(() => fromRecords([{ id: 'x', weight: 1, status: 'active', version: -1 }])).toThrow(/version/);
    const empty: RingState = fromRecords([]);
    expect(empty.records).toEqual([]);
  });
});
