import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../sim/cluster';

/**
 * A new cluster returns once every node has started, however slow its disk: found by a review, a fixed 10 ms
 * of boot let a scenario's load begin while nodes with 30 ms fsyncs still opened — requests failed with "no node
 * is up" and counted as unavailability with no fault active.
 */
describe('SimCluster construction', () => {
  it('waits for nodes whose epoch fsync takes longer than 10 ms', () => {
    const cluster = new SimCluster({ seed: 1, nodes: 3, machine: () => ({ disk: { syncLatency: { kind: 'fixed', ms: 30 } } }) });
    expect(cluster.upNodes()).toEqual(['n0', 'n1', 'n2']);
    expect(cluster.awaitPut('n0', 'k', 'v').status).toBe('ok');
  });

  it('still returns after 10 ms when the disks are fast (the time every scenario starts at is unchanged)', () => {
    const cluster = new SimCluster({ seed: 1, nodes: 3 });
    expect(cluster.upNodes()).toEqual(['n0', 'n1', 'n2']);
    expect(cluster.simulator.nowMicros).toBe(10_000);
  });
});
