import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlotMap } from '../../core/slot-map';

describe('SlotMap: integer-keyed map for short-lived request and timer state', () => {
  it('behaves like a Map under any sequence of sets, gets and deletes (growth and probe-run shifts included)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.nat(300), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.nat(300) }),
      fc.record({ kind: fc.constant('get' as const), key: fc.nat(300) }),
      // Sequential ids, the way request ids arrive.
      fc.record({ kind: fc.constant('burst' as const), from: fc.nat(2 ** 40), count: fc.integer({ min: 1, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const model = new Map<number, number>();
        const slots = new SlotMap<number>(8);
        for (const o of ops) {
          if (o.kind === 'set') {
            model.set(o.key, o.value);
            slots.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            expect(slots.delete(o.key)).toBe(model.delete(o.key));
          } else if (o.kind === 'get') {
            expect(slots.get(o.key)).toBe(model.get(o.key));
            expect(slots.has(o.key)).toBe(model.has(o.key));
          } else {
            for (let k = o.from; k < o.from + o.count; k++) {
              model.set(k, k % 1000);
              slots.set(k, k % 1000);
            }
          }
          expect(slots.size).toBe(model.size);
        }
        for (const [key, value] of model) expect(slots.get(key)).toBe(value);
        expect(slots.valueList().sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
      }),
    );
  });

  it('a deleted value is no longer referenced by the table', () => {
    const slots = new SlotMap<object>(8);
    for (let i = 0; i < 6; i++) slots.set(i, { i });
    for (let i = 0; i < 6; i++) slots.delete(i);
    const held = (slots as unknown as { values: unknown[] }).values.filter((v) => v !== undefined);
    expect(held).toEqual([]);
  });

  it('refuses keys that are not non-negative safe integers, and never finds one', () => {
    const slots = new SlotMap<number>();
    expect(() => slots.set(-1, 0)).toThrow(/integers ≥ 0/);
    expect(() => slots.set(1.5, 0)).toThrow(/integers ≥ 0/);
    // -1 marks an empty slot inside: asking for it must not find (or delete) an empty slot.
    expect(slots.has(-1)).toBe(false);
    expect(slots.get(-1)).toBeUndefined();
    expect(slots.delete(-1)).toBe(false);
    expect(slots.size).toBe(0);
  });

  it('spreads keys that share their low bits (multiples of 4096) as well as sequential ones', () => {
    const slots = new SlotMap<number>();
    for (let i = 1; i <= 2000; i++) slots.set(i * 4096, i);
    for (let i = 1; i <= 2000; i++) expect(slots.get(i * 4096)).toBe(i);
    // Probe runs stay short: every key sits within a few slots of its home.
    const inner = slots as unknown as { keys: Float64Array; mask: number; home(key: number): number };
    let longest = 0;
    for (let i = 0; i < inner.keys.length; i++) {
      const key = inner.keys[i]!;
      if (key !== -1) longest = Math.max(longest, (i - inner.home(key)) & inner.mask);
    }
    expect(longest).toBeLessThan(64);
  });
});
