import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  type Member, type PartitionStrategy, type Ring, addNode, buildRing, keyPosition, movedFraction, movedRanges,
  nodeIndex, ownershipStats, preferenceList, preferenceListAt, rangeContains, rangeSize, removeNode,
  replicatedRanges, utf8, walkDistinct, walkDistinctAt, partitionEnd, partitionOf, RING_SIZE, assertRingInvariants,
} from '../../../core/ring';

const members = (count: number, prefix = 'n'): Member[] =>
  Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}` }));

const STRATEGIES: PartitionStrategy[] = [
  { kind: 'random-tokens', vnodes: 16 },
  { kind: 'random-tokens-equal-partitions', vnodes: 16, partitions: 256 },
  { kind: 'equal-partitions', partitions: 256 },
];

const arbMembers = fc.uniqueArray(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { minLength: 1, maxLength: 24 })
  .map((ids) => ids.map((id) => ({ id })));
const arbKey = fc.uint8Array({ minLength: 0, maxLength: 32 });
const arbStrategy = fc.constantFrom(...STRATEGIES);

describe('preference lists', () => {
  it('hold min(n, nodes) distinct nodes, are stable across rebuilds, and prefix the clockwise walk', () => {
    fc.assert(fc.property(arbMembers, arbKey, fc.integer({ min: 1, max: 6 }), arbStrategy, (ms, key, n, strategy) => {
      const ring = buildRing(ms, strategy);
      const list = preferenceList(ring, key, n);
      expect(list.length).toBe(Math.min(n, ring.nodes.filter((x) => x.tokenCount > 0).length));
      expect(new Set(list).size).toBe(list.length);
      // Same answer from a ring built from the members in another order: no coordination needed.
      const again = buildRing([...ms].reverse(), strategy);
      expect(preferenceList(again, key, n)).toEqual(list);
      const walk = [...walkDistinct(ring, key)];
      expect(walk.slice(0, list.length)).toEqual(list);
      expect(new Set(walk).size).toBe(walk.length);
      expect(walk.length).toBe(ring.nodes.filter((x) => x.tokenCount > 0).length);
    }), { numRuns: 150 });
  });

  it('under strategy 2 every key of a partition shares the preference list of the partition end', () => {
    const ring = buildRing(members(10), { kind: 'random-tokens-equal-partitions', vnodes: 8, partitions: 64 });
    fc.assert(fc.property(fc.integer({ min: 0, max: RING_SIZE - 1 }), (h) => {
      const p = partitionOf(h, 64);
      expect(h).toBeLessThanOrEqual(partitionEnd(p, 64));
      expect(partitionOf(partitionEnd(p, 64), 64)).toBe(p);
      expect(preferenceListAt(ring, h, 3)).toEqual(preferenceListAt(ring, partitionEnd(p, 64), 3));
    }));
  });

  it('partition ends tile the ring for Q that do not divide 2^32', () => {
    for (const q of [1, 3, 7, 1000]) {
      expect(partitionEnd(q - 1, q)).toBe(RING_SIZE - 1);
      for (let p = 0; p < q; p++) {
        expect(partitionOf(partitionEnd(p, q), q)).toBe(p);
        expect(partitionOf(partitionEnd(p, q) + 1, q)).toBe(p + 1 === q ? q : p + 1);
      }
    }
  });

  it('an empty ring yields nothing; members are validated', () => {
    const ring = buildRing([]);
    expect(preferenceList(ring, utf8('k'), 3)).toEqual([]);
    expect([...walkDistinctAt(ring, 5)]).toEqual([]);
    expect(() => buildRing([{ id: 'a' }, { id: 'a' }])).toThrow(/listed twice/);
    expect(() => buildRing([{ id: 'a', weight: 0 }])).toThrow(/weight/);
    expect(() => buildRing([{ id: '' }])).toThrow(/non-empty/);
  });
});

/** Sampled keys: which primary / replica set changed between two rings. */
function sampleChanges(a: Ring, b: Ring, n: number, samples: number) {
  let changed = 0;
  const gainedBy = new Set<string>();
  const lostBy = new Set<string>();
  for (let i = 0; i < samples; i++) {
    const key = utf8(`key-${i}`);
    const x = preferenceList(a, key, n);
    const y = preferenceList(b, key, n);
    if (x[0] !== y[0]) changed++;
    for (const id of y) if (!x.includes(id)) gainedBy.add(id);
    for (const id of x) if (!y.includes(id)) lostBy.add(id);
  }
  return { changedFraction: changed / samples, gainedBy, lostBy };
}

describe('ring changes', () => {
  it('adding a node moves ≈ 1/(n+1) of keys, and only to the new node (strategies 1 and 2: replicas too)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 40 }), fc.constantFrom(STRATEGIES[0]!, STRATEGIES[1]!), (count, strategy) => {
      const before = buildRing(members(count), { ...strategy, vnodes: 64 } as PartitionStrategy);
      const after = addNode(before, { id: 'newcomer' });
      assertRingInvariants(after);
      for (const n of [1, 3]) {
        const moves = movedRanges(before, after, n);
        for (const t of moves) expect(t.gained).toEqual(['newcomer']);
        if (n === 1) {
          const share = ownershipStats(after, 1).nodes[nodeIndex(after, 'newcomer')]!.primaryShare;
          expect(movedFraction(moves)).toBeCloseTo(share, 9);
          // 64 vnodes: the newcomer's share is within a generous band around 1/(count+1).
          expect(share).toBeGreaterThan(0.4 / (count + 1));
          expect(share).toBeLessThan(2.0 / (count + 1));
        }
      }
      const sampled = sampleChanges(before, after, 3, 400);
      expect([...sampled.gainedBy].every((id) => id === 'newcomer')).toBe(true);
    }), { numRuns: 25 });
  });

  it('removing a node moves only the keys that node replicated', () => {
    fc.assert(fc.property(fc.integer({ min: 3, max: 40 }), fc.nat(), arbStrategy, (count, pick, strategy) => {
      const before = buildRing(members(count), strategy);
      const gone = `n${pick % count}`;
      const after = removeNode(before, gone);
      expect(nodeIndex(after, gone)).toBe(-1);
      for (const n of [1, 3]) {
        for (const t of movedRanges(before, after, n)) {
          expect(t.from).toContain(gone);
          // Strategies 1/2: only the gone node's ranges change hands. Strategy 3 redistributes whole partitions,
          // which can also reshuffle neighbours' replica sets; the primary still only changes where `gone` was.
          if (strategy.kind !== 'equal-partitions' || n === 1) expect(t.lost).toEqual([gone]);
        }
      }
      const sampled = sampleChanges(before, after, 1, 300);
      expect([...sampled.lostBy].every((id) => id === gone)).toBe(true);
    }), { numRuns: 40 });
  });

  it('strategy 3: a join steals exactly its quota, only for itself; quotas stay within one partition', () => {
    let ring = buildRing(members(5), { kind: 'equal-partitions', partitions: 1024 });
    for (let j = 0; j < 10; j++) {
      const next = addNode(ring, { id: `x${j}`, weight: j % 3 === 0 ? 2 : 1 });
      for (const t of movedRanges(ring, next, 1)) expect(t.gained).toEqual([`x${j}`]);
      const stats = ownershipStats(next, 1);
      for (const node of stats.nodes) {
        expect(Math.abs(node.tokenCount - node.expectedShare * 1024)).toBeLessThanOrEqual(1.0001);
      }
      ring = next;
    }
    const smaller = removeNode(ring, 'n2');
    for (const node of smaller.nodes) expect(Math.abs(node.tokenCount - ownershipStats(smaller, 1).nodes.find((x) => x.id === node.id)!.expectedShare * 1024)).toBeLessThanOrEqual(1.0001);
  });

  it('moved ranges cover exactly the positions whose replica sets changed', () => {
    fc.assert(fc.property(arbMembers, arbStrategy, fc.array(fc.integer({ min: 0, max: RING_SIZE - 1 }), { minLength: 20, maxLength: 20 }), (ms, strategy, points) => {
      const before = buildRing(ms, strategy);
      const after = addNode(before, { id: 'zz-new', weight: 1.5 });
      const moves = movedRanges(before, after, 2);
      for (const h of points) {
        const changed = new Set(preferenceListAt(before, h, 2)).size !== 0 &&
          JSON.stringify([...preferenceListAt(before, h, 2)].sort()) !== JSON.stringify([...preferenceListAt(after, h, 2)].sort());
        expect(moves.some((t) => rangeContains(t.range, h))).toBe(changed);
      }
    }), { numRuns: 60 });
  });

  it('replicatedRanges of all nodes cover the ring n times', () => {
    const ring = buildRing(members(12), { kind: 'random-tokens', vnodes: 32 });
    let total = 0;
    for (const node of ring.nodes) for (const r of replicatedRanges(ring, node.id, 3)) total += rangeSize(r);
    expect(total).toBe(3 * RING_SIZE);
    const probe = keyPosition(utf8('probe'));
    for (const id of preferenceListAt(ring, probe, 3)) {
      expect(replicatedRanges(ring, id, 3).some((r) => rangeContains(r, probe))).toBe(true);
    }
  });
});

describe('weights and ownership', () => {
  it('a node of weight 2 gets about twice the share, and twice the vnodes', () => {
    const ring = buildRing([...members(20), { id: 'big', weight: 2 }], { kind: 'random-tokens', vnodes: 256 });
    const stats = ownershipStats(ring, 3);
    const big = stats.nodes.find((x) => x.id === 'big')!;
    expect(big.tokenCount).toBe(512);
    expect(big.primaryShare / big.expectedShare).toBeGreaterThan(0.8);
    expect(big.primaryShare / big.expectedShare).toBeLessThan(1.2);
    expect(stats.nodes.reduce((a, x) => a + x.primaryShare, 0)).toBeCloseTo(1, 9);
    expect(stats.nodes.reduce((a, x) => a + x.replicaShare, 0)).toBeCloseTo(3, 9);
  });

  it('500 nodes × 256 vnodes: stddev of ownership ≤ 10 % of the mean (figure printed), built fast', () => {
    const t0 = globalThis.performance.now();
    const ring = buildRing(members(500), { kind: 'random-tokens', vnodes: 256 });
    const buildMs = globalThis.performance.now() - t0;
    const stats = ownershipStats(ring, 3);
    const ms = globalThis.performance.now() - t0 - buildMs;
    console.log(
      `[ring] 500 nodes × 256 vnodes = ${ring.tokens.length} tokens, built in ${buildMs.toFixed(0)} ms ` +
      `(stats ${ms.toFixed(0)} ms). Ownership stddev as % of mean: primary ${stats.primary.stddevPercentOfMean.toFixed(2)} %, ` +
      `as one of N=3 replicas ${stats.replica.stddevPercentOfMean.toFixed(2)} % ` +
      `(primary min/mean/max = ${(stats.primary.min * 100).toFixed(4)} / ${(stats.primary.mean * 100).toFixed(4)} / ${(stats.primary.max * 100).toFixed(4)} % of ring)`,
    );
    expect(ring.tokens.length).toBe(128_000);
    expect(stats.primary.stddevPercentOfMean).toBeLessThanOrEqual(10);
    expect(stats.replica.stddevPercentOfMean).toBeLessThanOrEqual(10);
    // Lookups: binary search + short walk.
    const t1 = globalThis.performance.now();
    for (let i = 0; i < 20_000; i++) preferenceList(ring, utf8(`k${i}`), 3);
    console.log(`[ring] 20 000 preference lists (N=3) in ${(globalThis.performance.now() - t1).toFixed(0)} ms`);
  });

  it('compares the three strategies at 100 nodes (printed)', () => {
    const ms = members(100);
    const rows: string[] = [];
    for (const strategy of [
      { kind: 'random-tokens', vnodes: 256 },
      { kind: 'random-tokens-equal-partitions', vnodes: 256, partitions: 4096 },
      { kind: 'equal-partitions', partitions: 4096 },
    ] as PartitionStrategy[]) {
      const ring = buildRing(ms, strategy);
      const s = ownershipStats(ring, 3);
      const moved = movedFraction(movedRanges(ring, addNode(ring, { id: 'n-new' }), 3));
      rows.push(`${strategy.kind.padEnd(32)} primary σ/μ ${s.primary.stddevPercentOfMean.toFixed(2).padStart(6)} %` +
        `  replica σ/μ ${s.replica.stddevPercentOfMean.toFixed(2).padStart(6)} %  join moves ${(moved * 100).toFixed(2)} % of ring (N=3)`);
      if (strategy.kind === 'equal-partitions') expect(s.primary.stddevPercentOfMean).toBeLessThan(3);
    }
    console.log(`[ring] strategies, 100 nodes:\n  ${rows.join('\n  ')}`);
  });
});
