import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../../core/storage/bytes';
import { KIND_PUT, type Entry } from '../../../core/storage/entry';
import { LevelCursor } from '../../../core/storage/level-cursor';
import type { EntryCursor } from '../../../core/storage/merge';
import type { TableMeta } from '../../../core/storage/table-meta';

/** A sorted in-memory "table": its meta, and a cursor over its entries. */
function table(fileNumber: number, keys: number[]): { meta: TableMeta; entries: Entry[] } {
  const entries = keys.map((k) => ({ key: new Uint8Array([k >> 8, k & 255]), seq: k, kind: KIND_PUT, time: 0, value: new Uint8Array(0) }) as Entry);
  const meta: TableMeta = { fileNumber, level: 1, size: 0, smallest: entries[0]!.key, largest: entries[entries.length - 1]!.key, minSeq: 0, maxSeq: 0, entries: entries.length, tombstones: 0 };
  return { meta, entries };
}

function arrayCursor(entries: Entry[]): EntryCursor {
  let i = entries.length;
  return {
    seek: (key) => void (i = key === undefined ? 0 : entries.findIndex((e) => compareBytes(e.key, key) >= 0)),
    valid: () => i >= 0 && i < entries.length,
    entry: () => entries[i]!,
    next: () => void i++,
  };
}

/** Splits sorted distinct keys into consecutive non-empty tables at `cuts`. */
function level(keys: number[], cuts: number[]): { meta: TableMeta; entries: Entry[] }[] {
  const bounds = [...new Set(cuts.map((c) => 1 + (c % Math.max(1, keys.length - 1))))].filter((c) => c < keys.length).sort((a, b) => a - b);
  const tables = [];
  let from = 0;
  for (const cut of [...bounds, keys.length]) {
    tables.push(table(tables.length + 1, keys.slice(from, cut)));
    from = cut;
  }
  return tables;
}

describe('LevelCursor: a level ≥ 1 read as one sorted run', () => {
  it('yields exactly the entries ≥ the sought key, in order, across table boundaries', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }), fc.array(fc.nat(), { maxLength: 8 }), fc.option(fc.integer({ min: 0, max: 5100 })), (raw, cuts, seekTo) => {
        const keys = [...raw].sort((a, b) => a - b);
        const tables = level(keys, cuts);
        const byNumber = new Map(tables.map((t) => [t.meta.fileNumber, t.entries]));
        const cursor = new LevelCursor(tables.map((t) => t.meta), (meta) => arrayCursor(byNumber.get(meta.fileNumber)!));
        cursor.seek(seekTo === null ? undefined : new Uint8Array([seekTo >> 8, seekTo & 255]));
        const seen: number[] = [];
        for (; cursor.valid(); cursor.next()) seen.push(cursor.entry().seq);
        expect(seen).toEqual(keys.filter((k) => seekTo === null || k >= seekTo));
      }),
    );
  });

  it('opens only the tables it reaches: taking two entries opens one or two tables, not all of them', () => {
    const tables = Array.from({ length: 50 }, (_, i) => table(i + 1, [i * 10, i * 10 + 1]));
    const opened: number[] = [];
    const cursor = new LevelCursor(tables.map((t) => t.meta), (meta) => {
      opened.push(meta.fileNumber);
      return arrayCursor(tables[meta.fileNumber - 1]!.entries);
    });
    cursor.seek(new Uint8Array([0, 201])); // inside table 21
    expect(cursor.entry().seq).toBe(201);
    cursor.next();
    expect(cursor.entry().seq).toBe(210);
    expect(opened).toEqual([21, 22]);
  });

  it('refuses tables that overlap or are out of order (they are not a level ≥ 1)', () => {
    const a = table(1, [1, 5]);
    const b = table(2, [5, 9]);
    expect(() => new LevelCursor([a.meta, b.meta], () => arrayCursor([]))).toThrow(/tables 1 and 2 overlap or are out of order/);
  });
});
