import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bloomFalsePositive, CapacityInputError, capacityModel, modelSections, SEED_INPUTS } from '../../reports/capacity-model';

/** The model against the seeds' own figures, worked by hand, then the monotonicity a reader relies on. */
describe('capacity model — the seeds\' figures', () => {
  const m = capacityModel();

  it('storage: 100 G keys × 1 KB = 100 TB; × 3 = 300 TB raw; ÷ 500 = 600 GB per node', () => {
    expect(m.storage.logical.value).toBe(100e12);
    expect(m.storage.raw.value).toBe(300e12);
    expect(m.storage.perNode.value).toBe(600e9);
    expect(m.storage.totalTokens.value).toBe(128_000);
    expect(m.storage.perVnode.value).toBeCloseTo(300e12 / 128_000, 0);
    expect(m.storage.primaryKeysPerNode.value).toBe(200e6);
  });

  it('traffic: 5 M writes/s ÷ 500 = the seeds\' 10 K writes/s per node; × N = 30 K replica writes', () => {
    expect(m.traffic.writesPerNode.value).toBe(10_000);
    expect(m.traffic.replicaWritesPerNode.value).toBe(30_000);
    expect(m.traffic.readsPerNode.value).toBe(40_000);
    expect(m.traffic.replicaReadsPerNode.value).toBe(120_000); // every read asks all N=3 (core/node.ts coordinateRead)
    expect(m.traffic.averageWrites.value).toBe(500_000);
    expect(m.lsm.nodesForWrites.value).toBe(1500);
    expect(m.lsm.utilisation.value).toBeCloseTo(3, 12);
  });

  it('bloom: 10 bits/key → k = 7, ≈ 0.96 % blocked (0.82 % unblocked, both < 1 %), 1.25 MB per 1 M keys, 250 MB per node of primary keys', () => {
    expect(m.bloom.probes.value).toBe(7);
    expect(m.bloom.falsePositive.value).toBeCloseTo(0.00957, 5);
    expect(m.bloom.falsePositiveUnblocked.value).toBeCloseTo(0.00819, 5);
    expect(m.bloom.bytesPerMillionKeys.value).toBe(1.25e6);
    expect(m.bloom.perNodePrimary.value).toBe(250e6);
    expect(m.bloom.perNode.value).toBe(750e6);
    expect(m.bloom.cluster.value).toBe(375e9);
  });

  it('compaction and network bandwidth', () => {
    expect(m.compaction.sizeTieredDiskWritesPerNode.value).toBe(30_000 * 1000 * 6);
    expect(m.compaction.leveledDiskWritesPerNode.value).toBe(30_000 * 1000 * 11);
    expect(m.network.clientIngress.value).toBe(5e9);
    expect(m.network.replicationCluster.value).toBe(10e9);
    expect(m.network.replicationPerNode.value).toBe(20e6);
    expect(m.ring.expectedStddevPercent.value).toBe(6.25);
  });

  it('reads: every read is sent to all N replicas (R only sets how many replies are awaited), so N, not R, sets the load and bytes', () => {
    expect(m.traffic.replicaReadsPerNode.arithmetic).toBe('20 M/s × 3 ÷ 500 = 120 K/s');
    expect(m.network.readFanInCluster.value).toBe(20e6 * 1000 * 3);
    expect(m.network.readFanInPerNode.value).toBe(120e6);
    for (const r of [1, 2, 3]) {
      const q = capacityModel({ readQuorum: r });
      expect(q.traffic.replicaReadsPerNode.value).toBe(120_000);
      expect(q.network.readFanInPerNode.value).toBe(120e6);
    }
    expect(capacityModel({ replicas: 5, readQuorum: 2 }).traffic.replicaReadsPerNode.value).toBe(200_000);
  });

  it('a node count raised to N shows the max() in its arithmetic', () => {
    const small = capacityModel({ peakWritesPerSec: 1000 });
    expect(small.lsm.nodesForWrites.value).toBe(3);
    expect(small.lsm.nodesForWrites.arithmetic).toBe('max(⌈1 K/s × 3 ÷ 10 K/s⌉, N=3) = max(1, 3) = 3 nodes');
    expect(small.lsm.nodesForWrites.formula).toBe('max(⌈peak writes × N ÷ per-node capacity⌉, N)');
    expect(m.lsm.nodesForWrites.arithmetic).toBe('⌈5 M/s × 3 ÷ 10 K/s⌉ = 1,500 nodes');
  });

  it('every figure carries a formula and its arithmetic, ending in the formatted result', () => {
    for (const section of modelSections(m)) {
      for (const figure of section.figures) {
        expect(figure.formula.length, figure.label).toBeGreaterThan(0);
        expect(figure.arithmetic, figure.label).toMatch(/ = \S/);
        expect(Number.isFinite(figure.value) || figure.label.startsWith('days'), figure.label).toBe(true);
      }
    }
    expect(m.storage.raw.arithmetic).toBe('100 TB × 3 = 300 TB');
    expect(m.storage.perNode.arithmetic).toBe('300 TB ÷ 500 = 600 GB');
  });

  it('rejects bad input naming the field', () => {
    const field = (inputs: object): string | undefined => {
      try {
        capacityModel(inputs);
        return undefined;
      } catch (error) {
        return error instanceof CapacityInputError ? error.field : 'other';
      }
    };
    expect(field({ nodes: 0 })).toBe('nodes');
    expect(field({ nodes: 2.5 })).toBe('nodes');
    expect(field({ replicas: 5, nodes: 3 })).toBe('replicas');
    expect(field({ readQuorum: 4 })).toBe('readQuorum');
    expect(field({ bloomBitsPerKey: 0.5 })).toBe('bloomBitsPerKey');
    expect(field({ valueBytes: Number.NaN })).toBe('valueBytes');
    expect(field({ peakFactor: 0.5 })).toBe('peakFactor');
    // Zero or negative traffic and sizes have no capacity to plan; above 1 MiB the store refuses the value.
    expect(field({ peakWritesPerSec: 0 })).toBe('peakWritesPerSec');
    expect(field({ peakReadsPerSec: -1 })).toBe('peakReadsPerSec');
    expect(field({ peakReadsPerSec: 0 })).toBeUndefined(); // a write-only workload
    expect(field({ peakReadsPerSec: -5 })).toBe('peakReadsPerSec');
    expect(field({ valueBytes: 0 })).toBe('valueBytes');
    expect(field({ valueBytes: 1024 * 1024 + 1 })).toBe('valueBytes');
    expect(field({ valueBytes: 1024 * 1024 })).toBeUndefined();
    expect(field({ nodeWritesPerSec: 0 })).toBe('nodeWritesPerSec');
    expect(field({})).toBeUndefined();
  });
});

describe('capacity model — properties', () => {
  it('more nodes never increases per-node storage, per-node load or per-node filter memory', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 100_000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1e12 }), (nodes, extra, keys) => {
        const small = capacityModel({ nodes, keys });
        const big = capacityModel({ nodes: nodes + extra, keys });
        expect(big.storage.perNode.value).toBeLessThanOrEqual(small.storage.perNode.value);
        expect(big.traffic.replicaWritesPerNode.value).toBeLessThanOrEqual(small.traffic.replicaWritesPerNode.value);
        expect(big.bloom.perNode.value).toBeLessThanOrEqual(small.bloom.perNode.value);
      }),
    );
  });

  it('more bits per key never increases the false-positive estimate (with the engine\'s rounded probe count)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 64, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), (bits, more) => {
        const higher = Math.min(64, bits + more);
        expect(bloomFalsePositive(higher)).toBeLessThanOrEqual(bloomFalsePositive(bits) + 1e-15);
      }),
    );
  });

  it('the seed defaults are what the model uses when given nothing', () => {
    expect(capacityModel().inputs).toEqual(SEED_INPUTS);
  });
});
