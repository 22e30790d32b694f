import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  type SiblingSet, CodecError, ContextKeyMismatchError, EMPTY_CONTEXT, contextOf, decodeContext, decodeSiblingSet, emptySet, encodeContext,
  encodeSiblingSet, merge, update, assertSiblingSet,
} from '../../../core/versioning';
import { arbOp, execute } from './model';

const TS = fc.integer({ min: -(2 ** 52), max: 2 ** 52 });
const actor = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });

/** Arbitrary valid sibling sets: model runs (real causal structure) plus hand-built sets with extreme fields. */
const arbDvv: fc.Arbitrary<SiblingSet> = fc.oneof(
  fc.tuple(fc.array(arbOp, { maxLength: 25 }), fc.nat()).map(([ops, pick]) => {
    const run = execute(ops, 'steps', null);
    return run.states[pick % run.states.length]!;
  }),
  fc.array(fc.record({
    who: actor, ts: TS, ttl: fc.option(TS), del: fc.boolean(), value: fc.uint8Array({ maxLength: 64 }),
  }), { maxLength: 6 }).map((writes) => writes.reduce<SiblingSet>((s, w, i) => merge(s, update(emptySet('dvv'), EMPTY_CONTEXT, {
    value: w.del ? new Uint8Array(0) : w.value, deleted: w.del, timestampMicros: w.ts, expiresAtMicros: w.ttl,
  }, `${w.who}#${i}`, { prune: null })), emptySet('dvv'))),
);
const arbLww: fc.Arbitrary<SiblingSet> = fc.option(fc.record({ who: actor, ts: TS, value: fc.uint8Array({ maxLength: 64 }), ttl: fc.option(TS) }))
  .map((w) => (w === null ? emptySet('lww')
    : update(emptySet('lww'), EMPTY_CONTEXT, { value: w.value, timestampMicros: w.ts, expiresAtMicros: w.ttl }, w.who)));
const arbSet = fc.oneof(arbDvv, arbLww);

describe('sibling set codec', () => {
  it('round-trips every valid set (canonical: decode∘encode is the identity on bytes too)', () => {
    fc.assert(fc.property(arbSet, (set) => {
      const bytes = encodeSiblingSet(set);
      const back = decodeSiblingSet(bytes);
      assertSiblingSet(back);
      expect(back).toEqual(set);
      expect(encodeSiblingSet(back)).toEqual(bytes);
    }), { numRuns: 300 });
  });

  it('decoded values never alias the input bytes', () => {
    fc.assert(fc.property(arbSet, (set) => {
      const bytes = encodeSiblingSet(set);
      const back = decodeSiblingSet(bytes);
      bytes.fill(0xee);
      expect(back).toEqual(set);
    }), { numRuns: 100 });
  });

  it('rejects every truncation with a CodecError', () => {
    fc.assert(fc.property(arbSet, (set) => {
      const bytes = encodeSiblingSet(set);
      for (let cut = 0; cut < bytes.length; cut++) {
        expect(() => decodeSiblingSet(bytes.subarray(0, cut))).toThrow(CodecError);
      }
    }), { numRuns: 60 });
  });

  it('rejects garbage, bit flips and trailing bytes with a clear CodecError', () => {
    fc.assert(fc.property(arbSet, fc.nat(), fc.nat(7), (set, where, bit) => {
      const bytes = encodeSiblingSet(set).slice();
      bytes[where % bytes.length]! ^= 1 << bit;
      expect(() => decodeSiblingSet(bytes)).toThrow(CodecError);
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
      expect(() => decodeSiblingSet(junk)).toThrow(CodecError);
    }));
    const good = encodeSiblingSet(emptySet('dvv'));
    expect(() => decodeSiblingSet(new Uint8Array([...good, 0]))).toThrow(/checksum/);
    expect(() => decodeSiblingSet(new Uint8Array(3))).toThrow(/cannot decode sibling set: truncated/);
    expect(() => decodeSiblingSet(new Uint8Array([0x64, 0x76, 9, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/format version 9/);
  });
});

describe('context codec', () => {
  it('round-trips contexts and rejects truncations and bit flips', () => {
    const key = new TextEncoder().encode('user:42');
    fc.assert(fc.property(arbDvv, fc.nat(), fc.nat(7), (set, where, bit) => {
      const ctx = contextOf(set);
      const bytes = encodeContext(ctx, key);
      expect(decodeContext(bytes, key)).toEqual(ctx);
      for (let cut = 0; cut < bytes.length; cut++) expect(() => decodeContext(bytes.subarray(0, cut), key)).toThrow(CodecError);
      const flipped = bytes.slice();
      flipped[where % flipped.length]! ^= 1 << bit;
      expect(() => decodeContext(flipped, key)).toThrow(CodecError);
      // A sibling-set decoder refuses a context and vice versa (different magic).
      expect(() => decodeSiblingSet(bytes)).toThrow(CodecError);
    }), { numRuns: 150 });
  });

  it('binds a context to its key: handed with another key it is refused, not applied', () => {
    const ctx = contextOf(update(emptySet('dvv'), EMPTY_CONTEXT, { value: new Uint8Array([1]), timestampMicros: 5 }, 'a', { prune: null }));
    const enc = (text: string) => new TextEncoder().encode(text);
    const bytes = encodeContext(ctx, enc('user:42'));
    expect(decodeContext(bytes, enc('user:42'))).toEqual(ctx);
    expect(() => decodeContext(bytes, enc('user:43'))).toThrow(ContextKeyMismatchError);
    expect(() => decodeContext(bytes, enc('user:43'))).toThrow(/returned for another key/);
    // A format-1 context (before the binding) is refused with what to do, not as garbage.
    const old = bytes.slice();
    old[2] = 1;
    expect(() => decodeContext(old, enc('user:42'))).toThrow(/format 1 .*read the key again/);
  });
});

describe('timestamp range edges', () => {
  it('round-trips timestamps of exactly ±2^52 µs (the fold of +2^52 is 2^53)', () => {
    for (const ts of [2 ** 52, -(2 ** 52)]) {
      const set = update(emptySet('dvv'), EMPTY_CONTEXT, { value: new Uint8Array([1]), timestampMicros: ts }, 'a', { prune: null });
      expect(decodeSiblingSet(encodeSiblingSet(set))).toEqual(set);
    }
  });
});
