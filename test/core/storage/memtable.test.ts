import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../../core/storage/bytes';
import { KIND_DELETE, KIND_PUT, type Entry } from '../../../core/storage/entry';
import { Memtable } from '../../../core/storage/memtable';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Keys that share long prefixes (so the 12-byte prefix integers tie and the byte comparison decides), and short ones. */
const keyArb = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 4 }),
  fc.tuple(fc.constantFrom('user:0000:', 'user:0000:x', 'd'), fc.uint8Array({ minLength: 0, maxLength: 6 })).map(([p, tail]) => {
    const head = new TextEncoder().encode(p);
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  }),
);

describe('Memtable (a skip list in typed arrays)', () => {
  it('behaves as a sorted map of the newest entry per key: get, ordered iteration, seek (copies in a chunked arena)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, fc.boolean(), fc.uint8Array({ maxLength: 40 })), { minLength: 1, maxLength: 400 }), fc.array(keyArb, { maxLength: 20 }), (ops, probes) => {
        // 64-byte arena chunks: many chunks, and values over 16 bytes get chunks of their own in between.
        const memtable = new Memtable(1, 64);
        const model = new Map<string, Entry>();
        ops.forEach(([key, isDelete, value], i) => {
          const entry: Entry = { key, seq: i + 1, kind: isDelete ? KIND_DELETE : KIND_PUT, time: isDelete ? 1000 + i : 0, value: isDelete ? new Uint8Array(0) : value };
          memtable.apply(entry);
          model.set(hex(key), entry);
        });
        expect(memtable.count).toBe(model.size);
        expect(memtable.minSeq).toBe(1);
        expect(memtable.maxSeq).toBe(ops.length);
        for (const [k, entry] of model) expect(memtable.get(Buffer.from(k, 'hex'))).toEqual(entry);
        const sorted = [...model.values()].sort((a, b) => compareBytes(a.key, b.key));
        const cursor = memtable.cursor();
        cursor.seek(undefined);
        const walked: Entry[] = [];
        for (; cursor.valid(); cursor.next()) walked.push(cursor.entry());
        expect(walked).toEqual(sorted);
        for (const probe of probes) {
          cursor.seek(probe);
          const expected = sorted.find((e) => compareBytes(e.key, probe) >= 0);
          expect(cursor.valid() ? hex(cursor.entry().key) : null).toBe(expected ? hex(expected.key) : null);
          if (!model.has(hex(probe))) expect(memtable.get(probe)).toBeUndefined();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('grows past its initial columns and index: 20 000 keys in random order, each found and in order', () => {
    const memtable = new Memtable(1);
    const n = 20_000;
    let x = 12345;
    const keys: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      keys.push(new TextEncoder().encode(`key:${x.toString(16).padStart(8, '0')}:${i}`));
    }
    keys.forEach((key, i) => memtable.apply({ key, seq: i + 1, kind: KIND_PUT, time: 0, value: Uint8Array.of(i & 0xff) }));
    expect(memtable.count).toBe(n);
    for (let i = 0; i < n; i += 97) expect(memtable.get(keys[i]!)?.value).toEqual(Uint8Array.of(i & 0xff));
    const cursor = memtable.cursor();
    cursor.seek(undefined);
    let previous: Uint8Array | null = null;
    let walked = 0;
    for (; cursor.valid(); cursor.next(), walked++) {
      const key = cursor.entry().key;
      if (previous !== null) expect(compareBytes(previous, key)).toBeLessThan(0);
      previous = key;
    }
    expect(walked).toBe(n);
  });

  it('keeps its own copies: the caller may reuse its buffers once apply returns', () => {
    const memtable = new Memtable(1, 64);
    const key = new TextEncoder().encode('reused-key');
    const value = new Uint8Array(100).fill(7); // larger than a quarter chunk: a chunk of its own
    memtable.apply({ key, seq: 1, kind: KIND_PUT, time: 0, value });
    const small = Uint8Array.of(1, 2, 3);
    memtable.apply({ key: Uint8Array.of(9), seq: 2, kind: KIND_PUT, time: 0, value: small });
    key.fill(0);
    value.fill(0);
    small.fill(0);
    expect(memtable.get(new TextEncoder().encode('reused-key'))?.value).toEqual(new Uint8Array(100).fill(7));
    expect(memtable.get(Uint8Array.of(9))?.value).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('an entry handed out keeps its fields when the key is overwritten later; a cursor entry is stable until it moves', () => {
    const memtable = new Memtable(1);
    const key = Uint8Array.of(1, 2, 3);
    memtable.apply({ key, seq: 1, kind: KIND_PUT, time: 0, value: Uint8Array.of(1) });
    const first = memtable.get(key)!;
    const cursor = memtable.cursor();
    cursor.seek(undefined);
    expect(cursor.entry()).toBe(cursor.entry());
    memtable.apply({ key, seq: 2, kind: KIND_DELETE, time: 5, value: new Uint8Array(0) });
    expect(first).toMatchObject({ seq: 1, kind: KIND_PUT });
    expect(memtable.get(key)).toMatchObject({ seq: 2, kind: KIND_DELETE, time: 5 });
    expect(memtable.count).toBe(1);
  });
});
