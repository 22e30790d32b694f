import { describe, expect, it } from 'vitest';
import { runKernelDemo } from '../../sim/demos/kernel-demo';

describe('replay determinism', () => {
  it('the same seed twice gives the same trace hash and the same figures', () => {
    const first = runKernelDemo({ seed: 7, nodes: 40, durationMicros: 30_000_000, partitionAtMicros: 8_000_000, healAtMicros: 18_000_000 });
    const second = runKernelDemo({ seed: 7, nodes: 40, durationMicros: 30_000_000, partitionAtMicros: 8_000_000, healAtMicros: 18_000_000 });
    expect(second.traceHash).toBe(first.traceHash);
    expect(second).toEqual(first);
    expect(first.events).toBeGreaterThan(1000);
  });

  it('different seeds give different trace hashes', () => {
    const hashes = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5]) {
      hashes.add(runKernelDemo({ seed, nodes: 20, durationMicros: 20_000_000, partitionAtMicros: 5_000_000, healAtMicros: 10_000_000 }).traceHash);
    }
    expect(hashes.size).toBe(5);
  });

  it('the demo shows the partition and the heal (the kernel actually blocks and restores traffic)', () => {
    const result = runKernelDemo({ seed: 11, nodes: 30 });
    expect(result.averageView.beforePartition).toBe(30);
    expect(result.averageView.duringPartitionMajority).toBeCloseTo(30 - result.minority.length, 0);
    expect(result.network.droppedPartition).toBeGreaterThan(0);
    expect(result.convergenceMicrosAfterHeal).not.toBeNull();
    expect(result.averageView.end).toBe(30);
  });
});
