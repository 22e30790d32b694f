import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../core/storage/block-cache';
import { compareBytes } from '../../../core/storage/bytes';
import { KIND_PUT } from '../../../core/storage/entry';
import { TableReader } from '../../../core/storage/sstable-reader';
import { TableBuilder } from '../../../core/storage/sstable-writer';
import { dec, enc, World } from './world';

/** findBlock's definition, by brute force: the first block whose last key is ≥ the key. */
function linearSearch(reader: TableReader): { lastKeys: Uint8Array[]; linear: (key: Uint8Array) => number } {
  const lastKeys = Array.from({ length: reader.blockCount }, (_, b) => {
    const block = reader.block(b, false);
    return block.entry(block.count - 1).key.slice();
  });
  const linear = (key: Uint8Array): number => {
    let b = 0;
    while (b < lastKeys.length && compareBytes(lastKeys[b]!, key) < 0) b++;
    return b;
  };
  return { lastKeys, linear };
}

/**
 * findBlock's two-level search (groups of blocks, then one group) against its definition: the first block whose
 * last key is ≥ the key. The keys share long prefixes on purpose, so most comparisons tie on the 12 prefix
 * bytes held as numbers and fall through to comparing bytes.
 */
describe('SSTable index search', () => {
  it('finds the same block as a linear scan, for present, absent, smaller and larger keys', () => {
    const world = new World(5);
    // Two families: long shared prefixes (ties on the numeric prefixes) and scattered ones (decided by them).
    const keys = [
      ...Array.from({ length: 1500 }, (_, i) => `user:000000${String(i * 7).padStart(6, '0')}`),
      ...Array.from({ length: 1500 }, (_, i) => `${((Math.imul(i + 1, 0x9e3779b1) >>> 0) * 2654435761 % 2 ** 48).toString(36)}:${i}`),
    ].sort();
    const builder = new TableBuilder(world.disk, '000004.sst', 4, { blockBytes: 96, bloomBitsPerKey: 10 });
    keys.forEach((key, i) => builder.add({ kind: KIND_PUT, seq: i + 1, time: 0, key: enc(key), value: enc(`v${i}`) }));
    builder.finish(0);
    const reader = new TableReader(world.disk, '000004.sst', 4, new BlockCache(0));
    expect(reader.blockCount).toBeGreaterThan(32 * 10); // many groups
    const { lastKeys, linear } = linearSearch(reader);
    fc.assert(
      fc.property(fc.nat(keys.length + 10), fc.constantFrom('', '0', 'z', '\u0000'), (i, suffix) => {
        const key = enc(i < keys.length ? keys[i]! + suffix : `user:000000${'9'.repeat(7)}`);
        expect(reader.findBlock(key)).toBe(linear(key));
      }),
      { numRuns: 500 },
    );
    for (const key of [lastKeys[31]!, lastKeys[32]!, lastKeys[lastKeys.length - 1]!, enc('a'), enc('zzz')]) {
      expect(reader.findBlock(key)).toBe(linear(key));
    }
    expect(dec(reader.find(enc(keys[1234]!))!.value)).toBe('v1234');
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('with a prefix shared by every key: keys outside it, shorter than it, or equal to it sort correctly', () => {
    const world = new World(6);
    const prefix = 'tenant/acme/user:';
    const keys = Array.from({ length: 2000 }, (_, i) => `${prefix}${String(i * 13).padStart(7, '0')}`).sort();
    const builder = new TableBuilder(world.disk, '000005.sst', 5, { blockBytes: 128, bloomBitsPerKey: 10 });
    keys.forEach((key, i) => builder.add({ kind: KIND_PUT, seq: i + 1, time: 0, key: enc(key), value: enc(`v${i}`) }));
    builder.finish(0);
    const reader = new TableReader(world.disk, '000005.sst', 5, new BlockCache(0));
    const { linear } = linearSearch(reader);
    const probe = fc.oneof(
      fc.nat(keys.length - 1).map((i) => keys[i]!),
      fc.tuple(fc.nat(keys.length - 1), fc.string({ maxLength: 3 })).map(([i, tail]) => keys[i]!.slice(0, keys[i]!.length - 1) + tail),
      fc.nat(prefix.length).map((n) => prefix.slice(0, n)),
      fc.tuple(fc.nat(prefix.length - 1), fc.constantFrom('\u0000', '.', 'z', '\u00ff')).map(([n, c]) => prefix.slice(0, n) + c),
      fc.string({ maxLength: 24 }),
    );
    fc.assert(
      fc.property(probe, (key) => {
        expect(reader.findBlock(enc(key))).toBe(linear(enc(key)));
      }),
      { numRuns: 1000 },
    );
    expect(dec(reader.find(enc(keys[777]!))!.value)).toBe('v777');
    expect(reader.find(enc(prefix))).toBeUndefined();
  });
});
