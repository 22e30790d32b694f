import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  type SiblingSet, EMPTY_CONTEXT, contextOf, emptySet, encodeSiblingSet, etag, isDeleted, liveValues, merge,
  tombstone, update,
} from '../../../core/versioning';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const MS = 1000;

describe('last-writer-wins', () => {
  it('loses the acknowledged write of the slow clock: the clock-skew failure is real', () => {
    // Node A's clock runs 50 ms fast. True time: A writes "x" at 1000 ms, B writes "y" 10 ms later.
    const skewA = 50 * MS;
    const trueA = 1000 * MS, trueB = 1010 * MS;
    const fromA = update(emptySet('lww'), EMPTY_CONTEXT, { value: bytes('x'), timestampMicros: trueA + skewA }, 'A');
    // B's replica had already received A's write; B's write is applied on top and *acknowledged* to its client…
    const atB = update(fromA, EMPTY_CONTEXT, { value: bytes('y'), timestampMicros: trueB }, 'B');
    // …yet the later write is gone, at B and after any merge anywhere.
    expect(liveValues(atB, 0).map(text)).toEqual(['x']);
    const elsewhere = update(emptySet('lww'), EMPTY_CONTEXT, { value: bytes('y'), timestampMicros: trueB }, 'B');
    expect(liveValues(merge(fromA, elsewhere), 0).map(text)).toEqual(['x']);
    expect(liveValues(merge(elsewhere, fromA), 0).map(text)).toEqual(['x']);
    // Without skew the later write wins, which is what makes the failure skew's fault.
    const honestA = update(emptySet('lww'), EMPTY_CONTEXT, { value: bytes('x'), timestampMicros: trueA }, 'A');
    expect(liveValues(merge(honestA, elsewhere), 0).map(text)).toEqual(['y']);
  });

  it('ties on timestamp break by writer id; a delete is just a newer tombstone; no context, no siblings', () => {
    const a = update(emptySet('lww'), EMPTY_CONTEXT, { value: bytes('a'), timestampMicros: 5 }, 'n1');
    const b = update(emptySet('lww'), EMPTY_CONTEXT, { value: bytes('b'), timestampMicros: 5 }, 'n2');
    expect(liveValues(merge(a, b), 0).map(text)).toEqual(['b']);
    expect(contextOf(merge(a, b))).toEqual([]);
    const del = update(merge(a, b), EMPTY_CONTEXT, tombstone(6), 'n1');
    expect(isDeleted(del, 7)).toBe(true);
    expect(etag(del)).not.toBe(etag(merge(a, b)));
  });

  it('merge is commutative, associative and idempotent, and keeps the maximum', () => {
    const arbSet: fc.Arbitrary<SiblingSet> = fc.record({
      ts: fc.integer({ min: -5, max: 5 }), who: fc.constantFrom('n1', 'n2', 'n3'), v: fc.string({ maxLength: 3 }),
      del: fc.boolean(),
    }).map(({ ts, who, v, del }) => update(emptySet('lww'), EMPTY_CONTEXT,
      del ? tombstone(ts) : { value: bytes(v), timestampMicros: ts }, who));
    const same = (x: SiblingSet, y: SiblingSet) => expect(encodeSiblingSet(x)).toEqual(encodeSiblingSet(y));
    fc.assert(fc.property(arbSet, arbSet, arbSet, (a, b, c) => {
      same(merge(a, b), merge(b, a));
      same(merge(merge(a, b), c), merge(a, merge(b, c)));
      same(merge(a, a), a);
      const m = merge(a, b).versions[0]!;
      expect(m.timestampMicros).toBe(Math.max(a.versions[0]!.timestampMicros, b.versions[0]!.timestampMicros));
    }));
  });
});
