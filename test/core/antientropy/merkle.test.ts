import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildTree, diff, keyDigest, leafCount, leafOf, leafRange, MerkleBuilder, type MerkleShape, type MerkleTree,
} from '../../../core/antientropy/merkle';
import { keyPosition, rangeContains, rangeSize, utf8 } from '../../../core/ring';

/** A replica's data as the tree sees it: key → version fingerprint. */
type Data = Map<string, string>;

function tree(data: Data, shape: MerkleShape): MerkleTree {
  const builder = new MerkleBuilder(shape);
  // Insertion order must not matter; add in reverse to make that visible when comparing with a forward build.
  for (const [key, version] of [...data].reverse()) builder.add(keyPosition(utf8(key)), keyDigest(utf8(key), version));
  return builder.finish();
}

const arbShape = fc.record({ fanoutBits: fc.integer({ min: 1, max: 4 }), depth: fc.integer({ min: 1, max: 3 }) });
const arbData = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => v.toString(16).padStart(16, '0'))), {
  selector: ([key]) => key,
  maxLength: 200,
}).map((entries) => new Map(entries));

describe('merkle tree', () => {
  it('identical data → no differences, whatever the order keys were added in', () => {
    fc.assert(fc.property(arbShape, arbData, (shape, data) => {
      const forward = buildTree([...data].map(([k, v]) => ({ position: keyPosition(utf8(k)), digest: keyDigest(utf8(k), v) })), shape);
      expect(diff(forward, tree(data, shape))).toEqual([]);
      expect(forward.levels[0]).toEqual(tree(data, shape).levels[0]);
    }), { numRuns: 200 });
  });

  it('one changed, added or removed key → exactly its leaf differs', () => {
    fc.assert(fc.property(arbShape, arbData, fc.nat(), fc.constantFrom('change', 'add', 'remove'), (shape, data, pick, how) => {
      const other = new Map(data);
      let key: string;
      if (how === 'add' || data.size === 0) {
        key = `new-key-${pick}`;
        if (other.has(key)) return;
        other.set(key, '0123456789abcdef');
      } else {
        key = [...data.keys()][pick % data.size]!;
        if (how === 'remove') other.delete(key);
        else other.set(key, data.get(key) === 'ffffffffffffffff' ? '0000000000000000' : 'ffffffffffffffff');
      }
      const leaf = leafOf(shape, keyPosition(utf8(key)));
      expect(diff(tree(data, shape), tree(other, shape))).toEqual([leaf]);
      // The differing leaf's range is where the key lives.
      expect(rangeContains(leafRange(shape, leaf), keyPosition(utf8(key)))).toBe(true);
    }), { numRuns: 300 });
  });

  it('diff is symmetric, and every key that differs lies in a reported leaf', () => {
    fc.assert(fc.property(arbShape, arbData, arbData, (shape, a, b) => {
      const ab = diff(tree(a, shape), tree(b, shape));
      expect(diff(tree(b, shape), tree(a, shape))).toEqual(ab);
      const leaves = new Set(ab);
      for (const key of new Set([...a.keys(), ...b.keys()])) {
        if (a.get(key) !== b.get(key)) expect(leaves.has(leafOf(shape, keyPosition(utf8(key))))).toBe(true);
      }
    }), { numRuns: 200 });
  });

  it('the descent only compares children of differing nodes: one changed key costs 1 + fanout·depth digests', () => {
    const shape = { fanoutBits: 4, depth: 3 };
    const data: Data = new Map(Array.from({ length: 5000 }, (_, i) => [`k${i}`, (i * 7919).toString(16).padStart(16, '0')]));
    const other = new Map(data).set('k42', 'ffffffffffffffff');
    const compared: number[] = [];
    expect(diff(tree(data, shape), tree(other, shape), compared)).toHaveLength(1);
    expect(compared).toEqual([1, 16, 16, 16]);
    expect(compared.reduce((a, b) => a + b)).toBeLessThan(data.size / 50);
  });

  it('leaves tile the ring: consecutive blocks of equal size covering all 2^32 positions', () => {
    const shape = { fanoutBits: 2, depth: 2 };
    let total = 0;
    for (let leaf = 0; leaf < leafCount(shape); leaf++) {
      const range = leafRange(shape, leaf);
      total += rangeSize(range);
      expect(leafOf(shape, range.end)).toBe(leaf);
      expect(leafOf(shape, (range.start + 1) % 2 ** 32)).toBe(leaf);
    }
    expect(total).toBe(2 ** 32);
  });

  it('rejects shapes it cannot hold', () => {
    expect(() => new MerkleBuilder({ fanoutBits: 0, depth: 3 })).toThrow(/fanoutBits/);
    expect(() => new MerkleBuilder({ fanoutBits: 8, depth: 3 })).toThrow(/≤ 16/);
  });
});
